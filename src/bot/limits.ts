import Bottleneck from 'bottleneck';

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
 * Token buckets per user and per tenant (bottleneck groups, one limiter per key): each holds `perMinute`
 * requests and gets one back every `60 / perMinute` seconds, so a burst is allowed and a steady flood is held
 * to the rate. A token is taken straight from the limiter's reservoir (an atomic decrement) rather than by
 * scheduling a job, which bottleneck would serialise at a few ms each; a request finding the bucket empty is
 * refused at once, never queued, and told how long until the next token.
 */
export class RateLimits {
  private readonly users: Bottleneck.Group;
  private readonly tenants: Bottleneck.Group;

  constructor(private readonly settings: RateLimitSettings) {
    this.users = bucketGroup(settings.perUserPerMinute);
    this.tenants = bucketGroup(settings.perTenantPerMinute);
  }

  /** Takes one token from the user's and the tenant's bucket, or throws RateLimitedError (taking none). */
  async take(tenant: string, userId: string): Promise<void> {
    const user = this.users.key(`${tenant}\u0000${userId}`);
    if (!(await takeToken(user)))
      throw new RateLimitedError('user', retryAfter(this.settings.perUserPerMinute));
    if (!(await takeToken(this.tenants.key(tenant)))) {
      await user.incrementReservoir(1);
      throw new RateLimitedError('tenant', retryAfter(this.settings.perTenantPerMinute));
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.users.limiters(), ...this.tenants.limiters()].map(({ limiter }) => limiter.disconnect()),
    );
  }
}

function bucketGroup(perMinute: number): Bottleneck.Group {
  return new Bottleneck.Group({
    reservoir: perMinute,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseInterval: Math.ceil(60_000 / perMinute),
    reservoirIncreaseMaximum: perMinute,
  });
}

/** Seconds until the bucket gets its next token back (at most). */
const retryAfter = (perMinute: number) => Math.ceil(60 / perMinute);

async function takeToken(limiter: Bottleneck): Promise<boolean> {
  if ((await limiter.incrementReservoir(-1)) >= 0) return true;
  await limiter.incrementReservoir(1);
  return false;
}
