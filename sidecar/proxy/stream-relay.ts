/**
 * Moves one upstream stream to the client's sink, network chunk by network chunk: parses its events, has the
 * dialect's translator turn them into OpenAI chunk payloads, and sends them in the client's API shape. Frames from
 * before the answer starts (a role-only opener) are held, so a failure until then can still be retried elsewhere.
 *
 * Pass-through: where the client's encoder frames a payload as a plain data event (ClientStreamEncoder.verbatim:
 * OpenAI in, OpenAI out), once the answer has started, events the translator passes on unchanged go out as the
 * upstream's own bytes, cut at event boundaries (core/sse/sse-event-bytes.ts) so an event split across network
 * chunks waits for its end; the others (a usage chunk the client did not ask for, a redacted error, an event with
 * a name or an id) are re-framed in place, in order. Either way one write per upstream chunk, awaiting 'drain'.
 */
import { UpstreamProtocolError, UpstreamStreamError } from '../core/errors.ts';
import type { StreamTranslator } from '../providers/adapter.ts';
import { SseParser } from '../../core/sse/sse-parser.ts';
import { eventPieces, hasDataLine, pieceEnd, SseEventBytes } from '../../core/sse/sse-event-bytes.ts';

const CR = 0x0d;
import type { SseEvent } from '../../core/sse/sse-event.ts';
import { formatSseEvent } from '../../core/sse/sse-writer.ts';
import type { AnswerSink } from './client-sink.ts';

export class StreamRelay {
  readonly #sink: AnswerSink;
  readonly #translator: StreamTranslator;
  readonly #provider: string;
  /** Called once, when the first frame of the answer goes out. */
  readonly #firstToken: () => void;
  readonly #parser = new SseParser();
  readonly #verbatim: SseEventBytes | undefined;

  constructor(sink: AnswerSink, translator: StreamTranslator, provider: string, firstToken: () => void) {
    this.#sink = sink;
    this.#translator = translator;
    this.#provider = provider;
    this.#firstToken = firstToken;
    this.#verbatim = sink.encoder.verbatim === true ? new SseEventBytes() : undefined;
  }

  /** Relays one network chunk; false when the client went away. */
  chunk(chunk: Buffer): Promise<boolean> {
    const bytes = this.#verbatim ? this.#verbatim.take(chunk) : chunk;
    return bytes.length === 0 ? Promise.resolve(true) : this.#relay(bytes);
  }

  /** The body ended: relays events after the last boundary the splitter knows (the parser knows every line ending). */
  async end(): Promise<boolean> {
    const rest = this.#verbatim?.rest();
    const open = rest === undefined || rest.length === 0 || (await this.#relay(rest));
    this.#parser.end();
    return open;
  }

  async #relay(bytes: Buffer): Promise<boolean> {
    const sink = this.#sink;
    if (this.#verbatim !== undefined && sink.committed) return this.#passOn(bytes);
    // Before the answer starts, event by event when passing through, so what follows the first token can pass.
    let frames = '';
    let rest: Buffer | undefined;
    if (this.#verbatim === undefined) {
      frames = this.#framed(this.#parser.feed(bytes));
    } else {
      // Piece by piece, cut only as far as needed: the rest goes on whole once the answer has started.
      const withCr = bytes.includes(CR);
      let used = 0;
      while (used < bytes.length && !this.#translator.answering) {
        const end = pieceEnd(bytes, used, withCr);
        frames += this.#framed(this.#parser.feed(bytes.subarray(used, end)));
        used = end;
      }
      if (used < bytes.length) rest = bytes.subarray(used);
    }
    if (frames !== '') {
      if (!sink.committed) {
        // Nothing goes out before the answer starts (a role-only opener waits): until then a failure can be retried.
        if (!this.#translator.answering) {
          sink.hold(frames);
          return true;
        }
        this.#firstToken();
      }
      if (!(await sink.write(frames))) return false;
    }
    return rest === undefined ? true : this.#passOn(rest);
  }

  /** The events' payloads in the client's shape. */
  #framed(events: readonly SseEvent[]): string {
    let frames = '';
    for (const event of events)
      for (const data of this.#translate(event)) frames += this.#sink.encoder.encode(data);
    return frames;
  }

  async #passOn(bytes: Buffer): Promise<boolean> {
    const events = this.#parser.feed(bytes);
    const outs: (readonly string[])[] = [];
    const payloads: string[] = [];
    let asTheyCame = true;
    for (const event of events) {
      const out = this.#translate(event);
      outs.push(out);
      for (const data of out) payloads.push(data);
      if (asTheyCame && !passesAsItCame(event, out)) asTheyCame = false;
    }
    if (payloads.length === 0) return true;
    if (!this.#sink.committed) this.#firstToken();
    return this.#sink.writeVerbatim(asTheyCame ? bytes : reassemble(bytes, events, outs), payloads);
  }

  #translate(event: SseEvent): readonly string[] {
    try {
      return this.#translator.onEvent(event);
    } catch (err) {
      if (err instanceof UpstreamStreamError) throw err;
      throw new UpstreamProtocolError(`provider ${this.#provider} sent a malformed stream event`);
    }
  }
}

/** The client gets exactly the event's bytes when they carry only data, which the translator passed on as it was. */
function passesAsItCame(event: SseEvent, payloads: readonly string[]): boolean {
  return (
    payloads.length === 1 &&
    payloads[0] === event.data &&
    event.event === undefined &&
    event.id === undefined &&
    event.retry === undefined
  );
}

/**
 * `bytes` (whole events) with the events that cannot pass as they came re-framed in place, in order: each event's
 * piece as it came, or its payloads framed as the client's encoder frames them (ClientStreamEncoder.verbatim).
 * Only for chunks with such an event (a withheld usage chunk, say), so the usual path does not cut chunks apart.
 */
function reassemble(
  bytes: Buffer,
  events: readonly SseEvent[],
  outs: readonly (readonly string[])[],
): Buffer {
  const framed = (out: readonly string[]) => out.map((data) => Buffer.from(formatSseEvent({ data })));
  const parts: Buffer[] = [];
  const pieces = eventPieces(bytes);
  let k = 0;
  for (const [i, piece] of pieces.entries()) {
    // Every piece but the last ends with a blank line, so it holds an event exactly when it has a data line; the
    // last may be an event cut short (at the stream's end), so a parser judges it (starting afresh, as after a
    // blank line). Parsing every piece again cost as much as parsing the chunk.
    const held = i < pieces.length - 1 ? (hasDataLine(piece) ? 1 : 0) : new SseParser().feed(piece).length;
    for (let n = held; n > 0; n--, k++) {
      const event = events[k];
      const out = outs[k] ?? [];
      if (event !== undefined && passesAsItCame(event, out)) parts.push(piece);
      else parts.push(...framed(out));
    }
  }
  // Pieces and events should line up; if they ever do not, every event is re-framed.
  return Buffer.concat(k === events.length ? parts : outs.flatMap(framed));
}
