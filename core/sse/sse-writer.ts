import type { SseEvent } from './sse-event.ts';

/** OpenAI's end-of-stream sentinel event. */
export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * Frames one event for a `text/event-stream` body. Multi-line data becomes one `data:` line per line
 * (CRLF, CR and LF all end a line, so the parser gives the data back joined with LF).
 * An empty `event` is omitted as it means the default type; an empty `id` is written, as it resets
 * the stream's last event ID.
 */
export function formatSseEvent(event: SseEvent): string {
  let out = '';
  if (event.event !== undefined && event.event !== '') {
    assertSingleLine('event', event.event);
    out += `event: ${event.event}\n`;
  }
  if (event.id !== undefined) {
    assertSingleLine('id', event.id);
    if (event.id.includes('\0')) throw new RangeError('SSE id must not contain NULL');
    out += `id: ${event.id}\n`;
  }
  if (event.retry !== undefined) {
    if (!Number.isSafeInteger(event.retry) || event.retry < 0) {
      throw new RangeError(`SSE retry must be a non-negative integer, got ${event.retry}`);
    }
    out += `retry: ${event.retry}\n`;
  }
  for (const line of splitLines(event.data)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line, ignored by parsers; useful as a keep-alive. */
export function formatSseComment(text: string): string {
  let out = '';
  for (const line of splitLines(text)) out += `: ${line}\n`;
  return out;
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function assertSingleLine(field: string, value: string): void {
  if (value.includes('\n') || value.includes('\r')) {
    throw new RangeError(`SSE ${field} must not contain a line break`);
  }
}
