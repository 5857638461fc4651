/**
 * Splits an SSE byte stream at event boundaries, so the bytes of complete events can be passed on as they came
 * (and parsed, the same bytes, alongside) while an event cut across network chunks waits for its end. An event ends
 * with a blank line: a line ending (LF, CRLF or CR) followed by an empty line.
 */
const BOUNDARIES = [Buffer.from('\n\n'), Buffer.from('\r\n\r\n'), Buffer.from('\r\r')];
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** The index just past the last event boundary in `bytes`; 0 when there is none. */
export function lastEventEnd(bytes: Buffer): number {
  let end = 0;
  const withCr = bytes.includes(CR); // most servers end lines with LF alone: one scan instead of three
  for (const boundary of withCr ? BOUNDARIES : BOUNDARIES.slice(0, 1)) {
    const at = bytes.lastIndexOf(boundary);
    if (at !== -1) end = Math.max(end, at + boundary.length);
  }
  return end;
}

const LF = 0x0a;

/**
 * Where the piece of `bytes` that starts at `from` (the start of a line) ends: just past the next blank line, or at
 * the end of `bytes` when none follows. `withCr`: whether `bytes` holds a CR at all (else two LFs are the only blank
 * line); asked once per buffer by the caller.
 */
export function pieceEnd(bytes: Buffer, from: number, withCr: boolean): number {
  if (!withCr) {
    const at = bytes.indexOf('\n\n', from);
    return at === -1 ? bytes.length : at + 2;
  }
  // Line by line: a line ending (CRLF, LF or CR) that ends an empty line ends an event.
  let lineStart = from;
  for (let i = from; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte !== CR && byte !== LF) continue;
    const empty = i === lineStart;
    if (byte === CR && bytes[i + 1] === LF) i++;
    lineStart = i + 1;
    if (empty) return i + 1;
  }
  return bytes.length;
}

/**
 * `bytes` (whole events, as `SseEventBytes.take` gives them) cut after each event's blank line, in order; each
 * piece holds at most one event (blank lines between events make pieces without one).
 */
export function eventPieces(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  const withCr = bytes.includes(CR);
  for (let from = 0; from < bytes.length;) {
    const end = pieceEnd(bytes, from, withCr);
    pieces.push(bytes.subarray(from, end));
    from = end;
  }
  return pieces;
}

const COLON = 0x3a;

/**
 * Whether `piece` holds a `data` field line (`data` alone, or `data:` and a value): what makes the block an event
 * once its blank line comes. Read from the bytes with a native search, without decoding them into strings.
 */
export function hasDataLine(piece: Buffer): boolean {
  for (let at = piece.indexOf('data'); at !== -1; at = piece.indexOf('data', at + 1)) {
    const before = at === 0 ? LF : piece[at - 1];
    const after = at + 4 === piece.length ? LF : piece[at + 4];
    if ((before === LF || before === CR) && (after === COLON || after === LF || after === CR)) return true;
  }
  return false;
}

export class SseEventBytes {
  #rest: Buffer | undefined;

  /** The bytes left over before `chunk` and `chunk`, up to the end of their last complete event; keeps the rest. */
  take(chunk: Buffer): Buffer {
    // The usual case, whole events in a chunk: two LFs always end an event (the second ends an empty line).
    const n = chunk.length;
    if (this.#rest === undefined && n >= 2 && chunk[n - 1] === LF && chunk[n - 2] === LF) return chunk;
    const bytes = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    const end = lastEventEnd(bytes);
    this.#rest = end < bytes.length ? bytes.subarray(end) : undefined;
    return bytes.subarray(0, end);
  }

  /** What followed the last complete event, at the stream's end. */
  rest(): Buffer {
    const rest = this.#rest ?? EMPTY;
    this.#rest = undefined;
    return rest;
  }
}
