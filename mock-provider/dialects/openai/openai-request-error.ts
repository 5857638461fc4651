import type { MockJsonReply } from '../../dialect.ts';

/** Thrown while reading a request body that the real API would refuse; carries the refusal. */
export class OpenAiRequestError extends Error {
  readonly reply: MockJsonReply;

  constructor(reply: MockJsonReply) {
    super('request refused');
    this.reply = reply;
  }
}
