import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SseParser } from './sse-parser.ts';
import { eventPieces, hasDataLine, SseEventBytes } from './sse-event-bytes.ts';

describe('splitting an SSE byte stream at event boundaries', () => {
  it.each([
    {
      name: 'whole events in one chunk go out at once',
      chunks: ['data: a\n\ndata: b\n\n'],
      out: ['data: a\n\ndata: b\n\n'],
      rest: '',
    },
    {
      name: 'an event cut across chunks waits for its end',
      chunks: ['data: a\n\ndata: b', '\n\n'],
      out: ['data: a\n\n', 'data: b\n\n'],
      rest: '',
    },
    {
      name: 'a boundary split between chunks is found',
      chunks: ['data: a\n', '\ndata: b\n'],
      out: ['', 'data: a\n\n'],
      rest: 'data: b\n',
    },
    {
      name: 'CRLF line endings',
      chunks: ['data: a\r\n\r\ndata: b\r\n\r'],
      out: ['data: a\r\n\r\n'],
      rest: 'data: b\r\n\r',
    },
    { name: 'CR line endings', chunks: ['data: a\r\rdata: b'], out: ['data: a\r\r'], rest: 'data: b' },
    {
      name: 'a chunk without any boundary is kept whole',
      chunks: ['data: {"a":', '1}'],
      out: ['', ''],
      rest: 'data: {"a":1}',
    },
  ])('$name', ({ chunks, out, rest }) => {
    const bytes = new SseEventBytes();
    expect(chunks.map((c) => bytes.take(Buffer.from(c)).toString())).toEqual(out);
    expect(bytes.rest().toString()).toBe(rest);
  });

  it('never splits a multi-byte character', () => {
    const text = Buffer.from('data: é\n\n');
    const bytes = new SseEventBytes();
    const first = bytes.take(text.subarray(0, 7)); // "data: " and the first byte of é
    const second = bytes.take(text.subarray(7));
    expect([first.length, second.toString()]).toEqual([0, 'data: é\n\n']);
  });
});

describe('cutting whole events apart', () => {
  it.each([
    { name: 'LF events one by one', bytes: 'data: a\n\ndata: b\n\n', pieces: ['data: a\n\n', 'data: b\n\n'] },
    {
      name: 'a multi-line event stays whole',
      bytes: 'event: x\ndata: a\n\ndata: b\n\n',
      pieces: ['event: x\ndata: a\n\n', 'data: b\n\n'],
    },
    {
      name: 'CRLF events',
      bytes: 'data: a\r\n\r\ndata: b\r\n\r\n',
      pieces: ['data: a\r\n\r\n', 'data: b\r\n\r\n'],
    },
    {
      name: 'mixed line endings',
      bytes: 'data: a\r\n\ndata: b\r\r',
      pieces: ['data: a\r\n\n', 'data: b\r\r'],
    },
    {
      name: 'extra blank lines make pieces of their own',
      bytes: 'data: a\n\n\n\ndata: b\n\n',
      pieces: ['data: a\n\n', '\n\n', 'data: b\n\n'],
    },
  ])('$name', ({ bytes, pieces }) => {
    expect(eventPieces(Buffer.from(bytes)).map((p) => p.toString())).toEqual(pieces);
  });
});

describe('which pieces hold an event', () => {
  it.each([
    ['a data line', 'data: a\n\n', true],
    ['a bare data field', 'data\n\n', true],
    ['a data line after other fields', 'event: x\r\nid: 1\r\ndata:a\r\n\r\n', true],
    ['only a comment that mentions data', ': data\n\n', false],
    ['a field whose value is data', 'event: data\n\n', false],
    ['a field named like data but longer', 'database: 1\n\n', false],
    ['blank lines alone', '\n\n', false],
  ])('%s', (_, piece, holds) => {
    expect(hasDataLine(Buffer.from(piece))).toBe(holds);
  });

  it('every piece but the last holds an event exactly when a parser fed the pieces in order dispatches one', () => {
    const line = fc.oneof(
      fc.constantFrom(
        'data: a',
        'data',
        'data:',
        'event: e',
        'id: 1',
        ': data',
        'retry: 5',
        'database: x',
        '',
      ),
      fc.string({ unit: fc.constantFrom('d', 'a', 't', ':', ' ', 'x') }),
    );
    const ending = fc.constantFrom('\n', '\r', '\r\n');
    const text = fc
      .array(fc.tuple(line, ending), { maxLength: 30 })
      .map((lines) => lines.map(([l, e]) => l + e).join(''));
    fc.assert(
      fc.property(text, (stream) => {
        const pieces = eventPieces(Buffer.from(stream));
        const parser = new SseParser();
        pieces.slice(0, -1).forEach((piece) => {
          expect(hasDataLine(piece) ? 1 : 0).toBe(parser.feed(piece).length);
        });
      }),
      { numRuns: 2000 },
    );
  });
});
