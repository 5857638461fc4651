import type { SseEvent } from './sse-event.ts';

/** How a stream ended, as reported by {@link SseParser.end}. */
export interface SseEndResult {
  /** True when the stream ended on an event boundary, with nothing left undispatched. */
  complete: boolean;
  /** Text after the last line ending (a line cut short); '' when none. */
  partialLine: string;
  /** True when data lines were read for an event whose terminating blank line never came. */
  undispatchedData: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = 0xfeff;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Incremental parser for the `text/event-stream` format as interpreted by the WHATWG HTML spec
 * (section 9.2.6). Each character is scanned once, whatever the chunking: lines are found with
 * indexOf from where the last scan stopped, and an unterminated line is kept as pieces joined once.
 */
export class SseParser {
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private sawFirstText = false;
  /** Pieces of the current, not yet terminated line. */
  private lineParts: string[] = [];
  /** The previous text ended with CR, so an LF starting the next text belongs to that line ending. */
  private afterCr = false;
  private dataLines: string[] = [];
  private eventType = '';
  private lastEventId = '';
  private blockRetry: number | undefined;
  private reconnectionMs: number | undefined;

  /** The latest valid `retry` value seen on the stream, in ms. */
  get reconnectionTime(): number | undefined {
    return this.reconnectionMs;
  }

  /** Parses the next chunk (bytes are decoded as UTF-8) and returns the events it completed. */
  feed(chunk: Uint8Array | string): SseEvent[] {
    const text =
      typeof chunk === 'string'
        ? this.decoder.decode() + chunk
        : this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    this.consume(text, events);
    return events;
  }

  /**
   * Ends the stream. Per the spec an event not terminated by a blank line is discarded; the result
   * says whether that happened. The parser is reset and may be reused for a new stream.
   */
  end(): SseEndResult {
    this.consume(this.decoder.decode(), []);
    const partialLine = this.lineParts.join('');
    const undispatchedData = this.dataLines.length > 0;
    this.reset();
    return { complete: partialLine === '' && !undispatchedData, partialLine, undispatchedData };
  }

  private reset(): void {
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.sawFirstText = false;
    this.lineParts = [];
    this.afterCr = false;
    this.dataLines = [];
    this.eventType = '';
    this.lastEventId = '';
    this.blockRetry = undefined;
    this.reconnectionMs = undefined;
  }

  private consume(text: string, events: SseEvent[]): void {
    if (text.length === 0) return;
    let start = 0;
    if (!this.sawFirstText) {
      this.sawFirstText = true;
      if (text.charCodeAt(0) === BOM) start = 1;
    }
    if (this.afterCr) {
      this.afterCr = false;
      if (text.charCodeAt(start) === LF) start += 1;
    }
    // Positions of the next CR and LF at or after `start`; -1 when there is none left in `text`.
    let nextCr = text.indexOf('\r', start);
    let nextLf = text.indexOf('\n', start);
    while (nextCr !== -1 || nextLf !== -1) {
      const end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf);
      this.processLine(this.completeLine(text.slice(start, end)), events);
      start = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (start === text.length) {
          this.afterCr = true;
        } else if (text.charCodeAt(start) === LF) {
          start += 1;
        }
      }
      if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf('\r', start);
      if (nextLf !== -1 && nextLf < start) nextLf = text.indexOf('\n', start);
    }
    if (start < text.length) this.lineParts.push(text.slice(start));
  }

  private completeLine(lastPiece: string): string {
    if (this.lineParts.length === 0) return lastPiece;
    this.lineParts.push(lastPiece);
    const line = this.lineParts.join('');
    this.lineParts = [];
    return line;
  }

  private processLine(line: string, events: SseEvent[]): void {
    if (line.length === 0) {
      this.dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === COLON) return;
    const colon = line.indexOf(':');
    // A data line, nearly every line of a stream: its value sliced once, without slicing out the field's name.
    if (colon === 4 && line.startsWith('data')) {
      this.dataLines.push(line.slice(line.charCodeAt(5) === SPACE ? 6 : 5));
      return;
    }
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === SPACE) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (isAsciiDigits(value)) {
          this.blockRetry = Number(value);
          this.reconnectionMs = this.blockRetry;
        }
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(events: SseEvent[]): void {
    const retry = this.blockRetry;
    this.blockRetry = undefined;
    if (this.dataLines.length === 0) {
      this.eventType = '';
      return;
    }
    const lines = this.dataLines;
    const event: SseEvent = { data: lines.length === 1 ? (lines[0] as string) : lines.join('\n') };
    if (this.eventType !== '') event.event = this.eventType;
    if (this.lastEventId !== '') event.id = this.lastEventId;
    if (retry !== undefined) event.retry = retry;
    this.dataLines = [];
    this.eventType = '';
    events.push(event);
  }
}

function isAsciiDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}
