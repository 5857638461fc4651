import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SseEvent } from './sse-event.ts';
import { SseParser } from './sse-parser.ts';
import { formatSseComment, formatSseEvent, SSE_DONE } from './sse-writer.ts';

describe('SSE writer: framing', () => {
  const cases: { name: string; event: SseEvent; text: string }[] = [
    { name: 'frames single-line data', event: { data: '{"a":1}' }, text: 'data: {"a":1}\n\n' },
    { name: 'writes one data line per line of data', event: { data: 'a\nb' }, text: 'data: a\ndata: b\n\n' },
    {
      name: 'treats CRLF and CR in data as line breaks',
      event: { data: 'a\r\nb\rc' },
      text: 'data: a\ndata: b\ndata: c\n\n',
    },
    { name: 'writes empty data as one empty data line', event: { data: '' }, text: 'data: \n\n' },
    {
      name: 'writes a trailing line break as an empty data line',
      event: { data: 'a\n' },
      text: 'data: a\ndata: \n\n',
    },
    {
      name: 'writes the event type before the data',
      event: { event: 'delta', data: 'x' },
      text: 'event: delta\ndata: x\n\n',
    },
    { name: 'omits an empty event type', event: { event: '', data: 'x' }, text: 'data: x\n\n' },
    {
      name: 'writes the id and retry',
      event: { id: '7', retry: 500, data: 'x' },
      text: 'id: 7\nretry: 500\ndata: x\n\n',
    },
    {
      name: 'writes an empty id, which resets the last event id',
      event: { id: '', data: 'x' },
      text: 'id: \ndata: x\n\n',
    },
  ];

  it.each(cases)('$name', ({ event, text }) => {
    expect(formatSseEvent(event)).toBe(text);
  });

  const invalid: { name: string; event: SseEvent }[] = [
    { name: 'rejects a line break in the event type', event: { event: 'a\nb', data: 'x' } },
    { name: 'rejects a CR in the id', event: { id: '1\r', data: 'x' } },
    { name: 'rejects NULL in the id', event: { id: '1\0', data: 'x' } },
    { name: 'rejects a negative retry', event: { retry: -1, data: 'x' } },
    { name: 'rejects a fractional retry', event: { retry: 1.5, data: 'x' } },
  ];

  it.each(invalid)('$name', ({ event }) => {
    expect(() => formatSseEvent(event)).toThrow(RangeError);
  });

  it("writes OpenAI's [DONE] sentinel as a data event", () => {
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
    expect(new SseParser().feed(SSE_DONE)).toEqual([{ data: '[DONE]' }]);
  });

  it('writes comments that parsers ignore', () => {
    expect(formatSseComment('ping')).toBe(': ping\n');
    const parser = new SseParser();
    expect(parser.feed(formatSseComment('a\nb') + formatSseEvent({ data: 'x' }))).toEqual([{ data: 'x' }]);
  });
});

const text = fc.string({ unit: 'binary', maxLength: 16 });
const singleLine = text.filter((s) => !s.includes('\r') && !s.includes('\n') && !s.includes('\0'));
const event: fc.Arbitrary<SseEvent> = fc.record(
  { data: text, event: singleLine, id: singleLine, retry: fc.nat() },
  { requiredKeys: ['data'] },
);

/** What a parser must give back: data lines joined with LF, an empty type left out, the id carried over. */
function expectedAfterRoundTrip(events: readonly SseEvent[]): SseEvent[] {
  let lastId = '';
  return events.map((e) => {
    if (e.id !== undefined) lastId = e.id;
    const out: SseEvent = { data: e.data.replaceAll('\r\n', '\n').replaceAll('\r', '\n') };
    if (e.event !== undefined && e.event !== '') out.event = e.event;
    if (lastId !== '') out.id = lastId;
    if (e.retry !== undefined) out.retry = e.retry;
    return out;
  });
}

describe('SSE writer: properties', () => {
  it('round-trips any events through the parser, fed as bytes', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), (events) => {
        const parser = new SseParser();
        const bytes = new TextEncoder().encode(events.map(formatSseEvent).join('') + SSE_DONE);
        const parsed = parser.feed(bytes);
        expect(parser.end().complete).toBe(true);
        expect(parsed).toEqual(expectedAfterRoundTrip([...events, { data: '[DONE]' }]));
      }),
    );
  });
});
