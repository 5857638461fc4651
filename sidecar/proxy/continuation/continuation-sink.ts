/**
 * A continuation attempt's side of the client: the client's stream is already open (another attempt committed
 * it), so this sink only passes the continuation's chunks through the relay into that stream. It counts as
 * committed once the continuation itself sent something: until then a failure of the continuation reaches
 * nobody, and the next capable target may try (or the client gets the interrupted stream's original error).
 */
import type { ClientStreamEncoder } from '../../api/client-api.ts';
import type { AnswerSink, ClientSink } from '../client-sink.ts';
import type { ContinuationRelay } from './continuation-relay.ts';

export class ContinuationSink implements AnswerSink {
  readonly #client: ClientSink;
  readonly encoder: ClientStreamEncoder;
  #committed = false;
  #held = '';

  constructor(client: ClientSink, relay: ContinuationRelay) {
    this.#client = client;
    client.discardUnsent(); // encoded by an attempt that never wrote it
    const inner = client.encoder;
    this.encoder = {
      encode: (payload) => {
        let out = '';
        for (const relayed of relay.map(payload)) out += inner.encode(relayed);
        return out;
      },
      fail: (error) => inner.fail(error),
    };
  }

  get committed(): boolean {
    return this.#committed;
  }

  get sent(): readonly string[] {
    return this.#client.sent;
  }

  answer(body: unknown): unknown {
    return this.#client.answer(body);
  }

  /** Continuations are streams; a JSON answer has nothing to continue. */
  sendJson(): void {
    throw new TypeError('a continuation answers in the stream it continues');
  }

  hold(frames: string): void {
    this.#held += frames;
  }

  write(frames: string): Promise<boolean> {
    this.#committed = true;
    const out = this.#held + frames;
    this.#held = '';
    return this.#client.write(out);
  }

  /** A continuation's chunks are always re-framed by the relay: its encoder never passes bytes through. */
  writeVerbatim(_bytes: Buffer, payloads: readonly string[]): Promise<boolean> {
    let frames = '';
    for (const payload of payloads) frames += this.encoder.encode(payload);
    return this.write(frames);
  }

  end(frames: string): void {
    this.#committed = true;
    this.#client.end(this.#held + frames);
  }

  fail(err: unknown): void {
    this.#client.fail(err);
  }
}
