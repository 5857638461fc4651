import type { MockJsonReply } from '../../dialect.ts';

/** Thrown while reading a request the real API would refuse; carries the refusal. */
export class GeminiRequestError extends Error {
  readonly reply: MockJsonReply;

  constructor(reply: MockJsonReply) {
    super('request refused');
    this.reply = reply;
  }
}
