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

/** Where an attempt's answer goes: the client (ClientSink), or the client's stream being continued. */
export interface AnswerSink {
  /** True once a byte of this attempt's answer went to the client. */
  readonly committed: boolean;
  /** The stream encoder of the client's API, one per answer. */
  readonly encoder: ClientStreamEncoder;
  /** OpenAI chunk payloads that reached the client so far (recorded only when the answer may be continued). */
  readonly sent: readonly string[];
  answer(body: unknown): unknown;
  sendJson(text: string): void;
  hold(frames: string): void;
  write(frames: string): Promise<boolean>;
  /** Sends upstream SSE bytes as they came; `payloads`: the data of their events (see ClientStreamEncoder.verbatim). */
  writeVerbatim(bytes: Buffer, payloads: readonly string[]): Promise<boolean>;
  end(frames: string): void;
  fail(err: unknown): void;
}

export interface ClientSinkOptions {
  /**
   * Keep the chunk payloads that reach the client, so a stream interrupted after content went out can be
   * continued elsewhere (sidecar/proxy/continuation/); off when no target of the request could continue it.
   */
  readonly recordSent?: boolean;
}

export class ClientSink implements AnswerSink {
  readonly #res: ServerResponse;
  readonly #api: ClientApi;
  /** Headers for the client's answer (request id, serving provider, attempt count). */
  readonly #headers: Record<string, string>;
  readonly #recordSent: boolean;
  #encoder: ClientStreamEncoder | undefined;
  #held = '';
  #committed = false;
  /** Payloads encoded but not yet written (held, or about to go out with the next write). */
  #unsent: string[] = [];
  readonly #sent: string[] = [];

  constructor(
    res: ServerResponse,
    api: ClientApi,
    headers: Record<string, string>,
    options: ClientSinkOptions = {},
  ) {
    this.#res = res;
    this.#api = api;
    this.#headers = headers;
    this.#recordSent = options.recordSent === true;
  }

  get sent(): readonly string[] {
    return this.#sent;
  }

  /** Forgets payloads encoded but never written (a continuation attempt that failed before it sent anything). */
  discardUnsent(): void {
    this.#unsent = [];
  }

  /** True once a byte of this attempt's answer went to the client. */
  get committed(): boolean {
    return this.#committed;
  }

  /** The stream encoder of the client's API, one per answer (recording what it encodes when asked to). */
  get encoder(): ClientStreamEncoder {
    this.#encoder ??= this.#recordSent
      ? this.#recording(this.#api.streamEncoder())
      : this.#api.streamEncoder();
    return this.#encoder;
  }

  #recording(inner: ClientStreamEncoder): ClientStreamEncoder {
    return {
      encode: (payload) => {
        this.#unsent.push(payload);
        return inner.encode(payload);
      },
      fail: (error) => inner.fail(error),
      ...(inner.verbatim === true && { verbatim: true }),
    };
  }

  /** What was encoded has gone out with a write. */
  #wrote(): void {
    if (this.#unsent.length === 0) return;
    for (const payload of this.#unsent) this.#sent.push(payload);
    this.#unsent = [];
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
    this.#wrote();
    if (this.#committed) return writeChunk(this.#res, frames);
    return writeChunk(this.#res, this.#commit() + frames);
  }

  writeVerbatim(bytes: Buffer, payloads: readonly string[]): Promise<boolean> {
    if (this.#recordSent) {
      this.#wrote();
      for (const payload of payloads) this.#sent.push(payload);
    }
    if (this.#committed) return writeChunk(this.#res, bytes);
    const held = this.#commit();
    return writeChunk(this.#res, held === '' ? bytes : Buffer.concat([Buffer.from(held), bytes]));
  }

  /** Ends the stream with `frames`, committing first if nothing went out yet. */
  end(frames: string): void {
    this.#wrote();
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
