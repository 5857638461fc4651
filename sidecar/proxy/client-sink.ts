/**
 * The client's side of one attempt: what has been sent and whether the answer is committed. Before the commit
 * nothing has reached the client (a failure can be retried elsewhere; frames before the answer starts are held);
 * after it, the attempt owns the answer and can only end it, cleanly or with one error event.
 */
import type { ServerResponse } from 'node:http';
import type { ClientApi, ClientStreamEncoder } from '../api/client-api.ts';
import { endStreamWithError, sendText, writeChunk } from './client-response.ts';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

export class ClientSink {
  readonly #res: ServerResponse;
  readonly #api: ClientApi;
  /** Headers for the client's answer (request id, serving provider, attempt count). */
  readonly #headers: Record<string, string>;
  #encoder: ClientStreamEncoder | undefined;
  #held = '';
  #committed = false;

  constructor(res: ServerResponse, api: ClientApi, headers: Record<string, string>) {
    this.#res = res;
    this.#api = api;
    this.#headers = headers;
  }

  /** True once a byte of this attempt's answer went to the client. */
  get committed(): boolean {
    return this.#committed;
  }

  /** The stream encoder of the client's API, one per answer. */
  get encoder(): ClientStreamEncoder {
    this.#encoder ??= this.#api.streamEncoder();
    return this.#encoder;
  }

  /** The OpenAI-shaped answer body in the client's API shape. */
  answer(body: unknown): unknown {
    return this.#api.answer(body);
  }

  /** A whole JSON answer (already serialized). */
  sendJson(text: string): void {
    this.#committed = true;
    sendText(this.#res, 200, text, this.#headers);
  }

  /** Stream frames from before the answer started: sent with the first `write` or `end`, dropped on a retry. */
  hold(frames: string): void {
    this.#held += frames;
  }

  /** Sends the stream's head (the first time), what was held and `frames`; false when the client went away. */
  write(frames: string): Promise<boolean> {
    if (this.#committed) return writeChunk(this.#res, frames);
    return writeChunk(this.#res, this.#commit() + frames);
  }

  /** Ends the stream with `frames`, committing first if nothing went out yet. */
  end(frames: string): void {
    const out = this.#committed ? frames : this.#commit() + frames;
    if (!this.#res.destroyed) this.#res.end(out);
  }

  /** Ends a committed stream with one error event in the client's shape. */
  fail(err: unknown): void {
    endStreamWithError(this.#res, this.encoder, err);
  }

  #commit(): string {
    this.#committed = true;
    this.#res.writeHead(200, { ...this.#headers, ...SSE_HEADERS });
    const held = this.#held;
    this.#held = '';
    return held;
  }
}
