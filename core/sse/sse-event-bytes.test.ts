import { describe, expect, it } from '@jest/globals';
import { eventPieces, SseEventBytes } from './sse-event-bytes.ts';

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
