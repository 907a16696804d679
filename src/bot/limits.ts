import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitSettings {
  perUserPerMinute: number;
  perTenantPerMinute: number;
}

/** Refused by a rate limit; `retryAfterSeconds` is when one more request will be allowed. */
export class RateLimitedError extends Error {
  constructor(
    readonly scope: 'user' | 'tenant',
    readonly retryAfterSeconds: number,
  ) {
    super(`rate limited (${scope}), retry after ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}

/**
 * A budget of requests per minute per user and per tenant (rate-limiter-flexible, in memory, a window per key
 * that starts with its first request). Taking from it is synchronous bookkeeping: bottleneck, used before,
 * waited for a timer on every reservoir change, about 2.4 ms of each command's reply (bench/bot-load.md). A
 * request over a budget is refused at once, never queued, and told when the window reopens.
 */
export class RateLimits {
  private readonly users: RateLimiterMemory;
  private readonly tenants: RateLimiterMemory;

  constructor(settings: RateLimitSettings) {
    this.users = new RateLimiterMemory({ points: settings.perUserPerMinute, duration: 60 });
    this.tenants = new RateLimiterMemory({ points: settings.perTenantPerMinute, duration: 60 });
  }

  /** Takes one request from the user's and the tenant's budget, or throws RateLimitedError (taking none). */
  async take(tenant: string, userId: string): Promise<void> {
    const user = `${tenant}\u0000${userId}`;
    await this.users.consume(user).catch(refused('user'));
    await this.tenants.consume(tenant).catch(async (rejection: unknown) => {
      await this.users.reward(user);
      return refused('tenant')(rejection);
    });
  }
}

/** A rejection of consume() is the window's state when it is over budget; anything else is a failure. */
const refused =
  (scope: 'user' | 'tenant') =>
  (rejection: unknown): never => {
    if (rejection instanceof RateLimiterRes) {
      throw new RateLimitedError(scope, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    throw rejection;
  };
