/** A bad input (file, URL, text, option): reported with its name and reason, never fatal to a batch. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`${input}: ${reason}`);
    this.name = 'InputError';
  }
}

/** A failure of a backing service (store, model, platform) that the user should hear about plainly. */
export class ServiceError extends Error {
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}
