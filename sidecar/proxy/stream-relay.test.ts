import { describe, expect, it } from '@jest/globals';
import { OPENAI_CLIENT_API, type ClientStreamEncoder } from '../api/client-api.ts';
import { OpenAIStreamTranslator } from '../providers/openai/openai-stream.ts';
import type { AnswerSink } from './client-sink.ts';
import { StreamRelay } from './stream-relay.ts';

/** A sink that keeps what goes out, and how (re-framed text or the upstream's bytes). */
function recordingSink(encoder: ClientStreamEncoder) {
  const out: { how: 'held' | 'framed' | 'verbatim'; text: string }[] = [];
  const sink: AnswerSink = {
    committed: false,
    encoder,
    sent: [],
    answer: (body) => body,
    sendJson() {},
    hold: (frames) => void out.push({ how: 'held', text: frames }),
    write(frames) {
      Object.assign(sink, { committed: true });
      out.push({ how: 'framed', text: frames });
      return Promise.resolve(true);
    },
    writeVerbatim(bytes) {
      Object.assign(sink, { committed: true });
      out.push({ how: 'verbatim', text: bytes.toString() });
      return Promise.resolve(true);
    },
    end() {},
    fail() {},
  };
  return { sink, out };
}

const event = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data:${JSON.stringify({ id: 'c', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const OPENER = event({ role: 'assistant', content: '' });
const A = event({ content: 'a' });
const B = event({ content: 'b' });
const USAGE = `data:${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } })}\n\n`;
const DONE = 'data:[DONE]\n\n';
const framed = (e: string) => `data: ${e.slice(5, -2)}\n\n`;

async function relay(chunks: readonly string[], encoder: ClientStreamEncoder) {
  const { sink, out } = recordingSink(encoder);
  let firstTokens = 0;
  const r = new StreamRelay(sink, new OpenAIStreamTranslator({ clientWantsUsage: false }), 'p', () => {
    firstTokens++;
  });
  for (const c of chunks) await r.chunk(Buffer.from(c));
  await r.end();
  return { out, firstTokens };
}

const PASSING = OPENAI_CLIENT_API.streamEncoder();
const REFRAMING: ClientStreamEncoder = { encode: PASSING.encode, fail: PASSING.fail };

describe('relaying a stream to the client', () => {
  it.each([
    {
      name: 'holds the opener, then passes the rest of the chunk the answer starts in as it came',
      chunks: [OPENER, A + B],
      encoder: PASSING,
      out: [
        { how: 'held', text: framed(OPENER) },
        { how: 'framed', text: framed(A) },
        { how: 'verbatim', text: B },
      ],
    },
    {
      name: 'an event split across chunks goes out whole, once its end came',
      chunks: [OPENER + A, B.slice(0, 9), B.slice(9) + DONE],
      encoder: PASSING,
      out: [
        { how: 'framed', text: framed(OPENER) + framed(A) },
        { how: 'verbatim', text: B + DONE },
      ],
    },
    {
      name: 'a usage chunk the client did not ask for is left out of the bytes, the rest passes in order',
      chunks: [OPENER + A, B + USAGE + DONE],
      encoder: PASSING,
      out: [
        { how: 'framed', text: framed(OPENER) + framed(A) },
        { how: 'verbatim', text: B + DONE },
      ],
    },
    {
      name: 'an encoder that is not verbatim re-frames every event',
      chunks: [OPENER + A, B + DONE],
      encoder: REFRAMING,
      out: [
        { how: 'framed', text: framed(OPENER) + framed(A) },
        { how: 'framed', text: framed(B) + 'data: [DONE]\n\n' },
      ],
    },
  ])('$name', async ({ chunks, encoder, out }) => {
    expect(await relay(chunks, encoder)).toEqual({ out, firstTokens: 1 });
  });
});
