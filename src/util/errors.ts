/**
 * A bad input (file, URL, text, option): reported with its name and reason, never fatal to a batch. People
 * read `sentence`: by default `input: reason`, right when the input is something they named (a file, an
 * option); a refusal about something they never typed (an image id, a page cursor) gives a sentence of its own.
 */
export class InputError extends Error {
  readonly sentence: string;

  constructor(
    readonly input: string,
    readonly reason: string,
    sentence?: string,
  ) {
    super(`${input}: ${reason}`);
    this.name = 'InputError';
    this.sentence = sentence ?? this.message;
  }
}

/** A refusal told as one sentence to the person; `input` still names it in logs and reports. */
export const refusal = (input: string, sentence: string): InputError =>
  new InputError(input, sentence.replace(/^./, (c) => c.toLowerCase()).replace(/\.$/, ''), sentence);

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
