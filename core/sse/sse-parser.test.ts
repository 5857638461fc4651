import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SseEvent } from './sse-event.ts';
import { SseParser } from './sse-parser.ts';

const utf8 = new TextEncoder();

function parseWhole(stream: string | Uint8Array): { events: SseEvent[]; complete: boolean } {
  const parser = new SseParser();
  const events = parser.feed(stream);
  return { events, complete: parser.end().complete };
}

function parseChunks(chunks: readonly (string | Uint8Array)[]): { events: SseEvent[]; complete: boolean } {
  const parser = new SseParser();
  const events = chunks.flatMap((chunk) => parser.feed(chunk));
  return { events, complete: parser.end().complete };
}

describe('SSE parser: spec cases', () => {
  const cases: { name: string; stream: string; events: SseEvent[] }[] = [
    {
      name: 'dispatches a data line on a blank line',
      stream: 'data: hello\n\n',
      events: [{ data: 'hello' }],
    },
    {
      name: 'joins several data lines with LF',
      stream: 'data: one\ndata: two\ndata: three\n\n',
      events: [{ data: 'one\ntwo\nthree' }],
    },
    {
      name: 'strips only one space after the colon',
      stream: 'data:  two spaces\n\n',
      events: [{ data: ' two spaces' }],
    },
    {
      name: 'keeps the value when no space follows the colon',
      stream: 'data:tight\n\n',
      events: [{ data: 'tight' }],
    },
    {
      name: 'treats a field name without colon as an empty value',
      stream: 'data\n\n',
      events: [{ data: '' }],
    },
    {
      name: 'dispatches an empty data field as an empty string',
      stream: 'data:\n\n',
      events: [{ data: '' }],
    },
    {
      name: 'keeps a trailing empty data line as a trailing LF',
      stream: 'data: a\ndata:\n\n',
      events: [{ data: 'a\n' }],
    },
    {
      name: 'ignores comment lines',
      stream: ': keep-alive\ndata: x\n: another\n\n',
      events: [{ data: 'x' }],
    },
    { name: 'does not dispatch an event without data', stream: 'event: ping\nid: 7\n\n', events: [] },
    {
      name: 'does not let an event type leak into the next event after a dataless block',
      stream: 'event: ping\n\ndata: x\n\n',
      events: [{ data: 'x' }],
    },
    {
      name: 'names the event type',
      stream: 'event: delta\ndata: x\n\n',
      events: [{ event: 'delta', data: 'x' }],
    },
    {
      name: 'resets the event type after each dispatch',
      stream: 'event: a\ndata: 1\n\ndata: 2\n\n',
      events: [{ event: 'a', data: '1' }, { data: '2' }],
    },
    { name: 'leaves out an empty event type', stream: 'event:\ndata: x\n\n', events: [{ data: 'x' }] },
    {
      name: 'carries the last event id over to later events',
      stream: 'id: 1\ndata: a\n\ndata: b\n\n',
      events: [
        { id: '1', data: 'a' },
        { id: '1', data: 'b' },
      ],
    },
    {
      name: 'clears the last event id with an empty id field',
      stream: 'id: 1\ndata: a\n\nid\ndata: b\n\n',
      events: [{ id: '1', data: 'a' }, { data: 'b' }],
    },
    {
      name: 'ignores an id containing NULL',
      stream: 'id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n',
      events: [
        { id: '1', data: 'a' },
        { id: '1', data: 'b' },
      ],
    },
    {
      name: 'reads a numeric retry',
      stream: 'retry: 3000\ndata: x\n\n',
      events: [{ retry: 3000, data: 'x' }],
    },
    {
      name: 'ignores a retry that is not all digits',
      stream: 'retry: 3s\ndata: x\n\n',
      events: [{ data: 'x' }],
    },
    { name: 'ignores unknown fields', stream: 'foo: bar\ndata: x\n\n', events: [{ data: 'x' }] },
    {
      name: 'does not treat a field named with different case as data',
      stream: 'Data: x\ndata: y\n\n',
      events: [{ data: 'y' }],
    },
    {
      name: 'accepts CRLF line endings',
      stream: 'data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n',
      events: [{ data: 'a\nb' }, { data: 'c' }],
    },
    {
      name: 'accepts CR line endings',
      stream: 'data: a\rdata: b\r\rdata: c\r\r',
      events: [{ data: 'a\nb' }, { data: 'c' }],
    },
    {
      name: 'accepts mixed line endings',
      stream: 'data: a\rdata: b\n\r\ndata: c\r\n\n',
      events: [{ data: 'a\nb' }, { data: 'c' }],
    },
    { name: 'strips a leading BOM', stream: '\uFEFFdata: x\n\n', events: [{ data: 'x' }] },
    {
      name: 'strips only one leading BOM, so a second one spoils the first field name',
      stream: '\uFEFF\uFEFFdata: x\n\ndata: y\n\n',
      events: [{ data: 'y' }],
    },
    { name: 'keeps a BOM inside data', stream: 'data: \uFEFFx\n\n', events: [{ data: '\uFEFFx' }] },
    {
      name: 'keeps colons inside the value',
      stream: 'data: {"a":"b:c"}\n\n',
      events: [{ data: '{"a":"b:c"}' }],
    },
    {
      name: 'dispatches OpenAI done sentinel as plain data',
      stream: 'data: [DONE]\n\n',
      events: [{ data: '[DONE]' }],
    },
  ];

  it.each(cases)('$name', ({ stream, events }) => {
    expect(parseWhole(stream).events).toEqual(events);
    expect(parseWhole(utf8.encode(stream)).events).toEqual(events);
    expect(parseChunks([...stream]).events).toEqual(events);
  });
});

describe('SSE parser: chunk boundaries', () => {
  it('treats a CR at the end of one chunk and LF at the start of the next as one line ending', () => {
    const { events } = parseChunks(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(events).toEqual([{ data: 'a\nb' }]);
  });

  it('treats a CR at the end of a chunk followed by a CR as two line endings', () => {
    const { events } = parseChunks(['data: a\r', '\r']);
    expect(events).toEqual([{ data: 'a' }]);
  });

  it('joins a UTF-8 character split across byte chunks', () => {
    const bytes = utf8.encode('data: h\u00e9llo \u{1F600}\n\n');
    const insideAcute = 8; // "data: h" is 7 bytes, then the 2-byte é
    const insideEmoji = bytes.length - 2 - 2; // the 4-byte emoji ends right before "\n\n"
    const { events } = parseChunks([
      bytes.slice(0, insideAcute),
      bytes.slice(insideAcute, insideEmoji),
      bytes.slice(insideEmoji),
    ]);
    expect(events).toEqual([{ data: 'h\u00e9llo \u{1F600}' }]);
  });

  it('strips a BOM split across byte chunks', () => {
    const bytes = utf8.encode('\uFEFFdata: x\n\n');
    const { events } = parseChunks([bytes.slice(0, 1), bytes.slice(1, 2), bytes.slice(2)]);
    expect(events).toEqual([{ data: 'x' }]);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    const { events } = parseChunks([new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x0a, 0x0a])]);
    expect(events).toEqual([{ data: '\uFFFD' }]);
  });

  it('returns events as soon as their blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\n')).toEqual([]);
    expect(parser.feed('\ndata: b\n')).toEqual([{ data: 'a' }]);
    expect(parser.feed('\n')).toEqual([{ data: 'b' }]);
  });
});

describe('SSE parser: end of stream', () => {
  const cases: {
    name: string;
    stream: string;
    complete: boolean;
    partialLine: string;
    undispatchedData: boolean;
  }[] = [
    {
      name: 'is complete after a blank line',
      stream: 'data: a\n\n',
      complete: true,
      partialLine: '',
      undispatchedData: false,
    },
    {
      name: 'is complete for an empty stream',
      stream: '',
      complete: true,
      partialLine: '',
      undispatchedData: false,
    },
    {
      name: 'is incomplete when a line was cut short',
      stream: 'data: a\n\ndata: {"cho',
      complete: false,
      partialLine: 'data: {"cho',
      undispatchedData: false,
    },
    {
      name: 'is incomplete when the blank line never came',
      stream: 'data: a\n',
      complete: false,
      partialLine: '',
      undispatchedData: true,
    },
    {
      name: 'is complete when only a dataless field was left',
      stream: 'data: a\n\nevent: x\n',
      complete: true,
      partialLine: '',
      undispatchedData: false,
    },
  ];

  it.each(cases)('$name', ({ stream, complete, partialLine, undispatchedData }) => {
    const parser = new SseParser();
    parser.feed(stream);
    expect(parser.end()).toEqual({ complete, partialLine, undispatchedData });
  });

  it('does not dispatch an unterminated event at the end', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\n\ndata: b')).toEqual([{ data: 'a' }]);
    expect(parser.end().complete).toBe(false);
  });

  it('reports an incomplete UTF-8 sequence at the end as a partial line', () => {
    const parser = new SseParser();
    parser.feed(utf8.encode('data: \u{1F600}').slice(0, 8));
    const result = parser.end();
    expect(result.complete).toBe(false);
    expect(result.partialLine).toBe('data: \uFFFD');
  });

  it('starts afresh after end, with no last event id carried over', () => {
    const parser = new SseParser();
    parser.feed('id: 9\ndata: a\n\ndata: cut');
    parser.end();
    expect(parser.feed('\uFEFFdata: b\n\n')).toEqual([{ data: 'b' }]);
  });

  it('remembers the latest reconnection time even from a dataless block', () => {
    const parser = new SseParser();
    parser.feed('retry: 1500\n\n');
    expect(parser.reconnectionTime).toBe(1500);
  });
});

describe('SSE parser: long streams', () => {
  it('parses a long single line fed one character at a time in linear time', () => {
    const payload = 'x'.repeat(200_000);
    const parser = new SseParser();
    const events: SseEvent[] = [];
    const started = performance.now();
    for (let i = 0; i < payload.length; i += 1)
      events.push(...parser.feed(i === 0 ? `data: ${payload[i]}` : 'x'));
    events.push(...parser.feed('\n\n'));
    const elapsed = performance.now() - started;
    expect(events).toEqual([{ data: payload }]);
    expect(elapsed).toBeLessThan(2000);
  });

  it('parses many events in one large chunk', () => {
    const stream = Array.from({ length: 20_000 }, (_, i) => `data: ${i}\n\n`).join('');
    const events = parseWhole(stream).events;
    expect(events).toHaveLength(20_000);
    expect(events[19_999]).toEqual({ data: '19999' });
  });
});

// ---- property: any chunking of a valid stream parses like the whole stream, and like the model ----

type Line =
  | { kind: 'data' | 'event' | 'id' | 'retry' | 'unknown'; value: string; space: boolean }
  | { kind: 'bare-data' }
  | { kind: 'comment'; text: string };
type Ending = '\n' | '\r' | '\r\n';

const value = fc
  .string({ unit: 'binary', maxLength: 12 })
  .filter((s) => !s.includes('\r') && !s.includes('\n'));
const line: fc.Arbitrary<Line> = fc.oneof(
  fc.record({
    kind: fc.constantFrom(
      'data' as const,
      'data' as const,
      'event' as const,
      'id' as const,
      'unknown' as const,
    ),
    value,
    space: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('retry' as const),
    value: fc.oneof(fc.nat({ max: 100_000 }).map(String), value),
    space: fc.boolean(),
  }),
  fc.constant({ kind: 'bare-data' as const }),
  fc.record({ kind: fc.constant('comment' as const), text: value }),
);
const ending = fc.constantFrom<Ending>('\n', '\r', '\r\n');
const block = fc.array(fc.tuple(line, ending), { maxLength: 5 });
const stream = fc.record({ bom: fc.boolean(), blocks: fc.array(fc.tuple(block, ending), { maxLength: 6 }) });

function lineText(l: Line): string {
  if (l.kind === 'bare-data') return 'data';
  if (l.kind === 'comment') return `:${l.text}`;
  const name = l.kind === 'unknown' ? 'dat' : l.kind;
  return `${name}:${l.space ? ' ' : ''}${l.value}`;
}

function serialize(s: { bom: boolean; blocks: [[Line, Ending][], Ending][] }): string {
  let out = s.bom ? '\uFEFF' : '';
  let previous: Ending | undefined;
  for (const [lines, blank] of s.blocks) {
    for (const [l, end] of lines) {
      out += lineText(l) + end;
      previous = end;
    }
    // A blank line ending in a bare LF right after a CR would merge into one CRLF ending.
    out += previous === '\r' && blank === '\n' ? '\r\n' : blank;
    previous = blank;
  }
  return out;
}

/** The events the spec says the serialized stream holds, computed from the model, not the parser. */
function expectedEvents(s: { blocks: [[Line, Ending][], Ending][] }): SseEvent[] {
  const events: SseEvent[] = [];
  let lastId = '';
  for (const [lines] of s.blocks) {
    const data: string[] = [];
    let type = '';
    let retry: number | undefined;
    for (const [l] of lines) {
      if (l.kind === 'bare-data') data.push('');
      if (l.kind === 'comment' || l.kind === 'bare-data' || l.kind === 'unknown') continue;
      const v = l.space || !l.value.startsWith(' ') ? l.value : l.value.slice(1);
      if (l.kind === 'data') data.push(v);
      if (l.kind === 'event') type = v;
      if (l.kind === 'id' && !v.includes('\0')) lastId = v;
      if (l.kind === 'retry' && /^[0-9]+$/.test(v)) retry = Number(v);
    }
    if (data.length === 0) continue;
    const event: SseEvent = { data: data.join('\n') };
    if (type !== '') event.event = type;
    if (lastId !== '') event.id = lastId;
    if (retry !== undefined) event.retry = retry;
    events.push(event);
  }
  return events;
}

function splitAt<T extends string | Uint8Array>(whole: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
  const parts: T[] = [];
  let from = 0;
  for (const p of [...points, whole.length]) {
    parts.push(whole.slice(from, p) as T);
    from = p;
  }
  return parts;
}

describe('SSE parser: properties', () => {
  it('parses any valid stream as the model says, fed whole', () => {
    fc.assert(
      fc.property(stream, (s) => {
        expect(parseWhole(utf8.encode(serialize(s)))).toEqual({ events: expectedEvents(s), complete: true });
      }),
    );
  });

  it('parses any byte-level chunking of a valid stream like the whole stream', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 40 }), (s, cuts) => {
        const bytes = utf8.encode(serialize(s));
        expect(parseChunks(splitAt(bytes, cuts))).toEqual(parseWhole(bytes));
        expect(parseChunks(splitAt(bytes, cuts)).events).toEqual(expectedEvents(s));
      }),
      { numRuns: 300 },
    );
  });

  it('parses any string-level chunking (even inside surrogate pairs) like the whole stream', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 40 }), (s, cuts) => {
        const text = serialize(s);
        expect(parseChunks(splitAt(text, cuts)).events).toEqual(expectedEvents(s));
      }),
    );
  });

  it('parses a stream fed one byte at a time like the whole stream', () => {
    fc.assert(
      fc.property(stream, (s) => {
        const bytes = utf8.encode(serialize(s));
        const oneByOne = Array.from(bytes, (_, i) => bytes.slice(i, i + 1));
        expect(parseChunks(oneByOne).events).toEqual(expectedEvents(s));
      }),
      { numRuns: 50 },
    );
  });
});
