/**
 * What the sidecar spends per streamed event for an OpenAI upstream and an OpenAI client, alone: the real
 * StreamRelay (sidecar/proxy/stream-relay.ts) with the OpenAI translator, once re-framing every event (an encoder
 * without `verbatim`, as before pass-through) and once passing the upstream's bytes on (the OpenAI client API's
 * encoder), into a sink that only counts what it would write (a string is UTF-8 encoded at the socket, which
 * Buffer.byteLength stands in for). Alternated over rounds in this process; CPU time from `process.cpuUsage`.
 * Prints medians and their ratio as JSON.
 *
 *   taskset -c 1 node bench/data-plane/stream-framing.ts --rounds 9
 */
import { parseArgs } from 'node:util';
import { OPENAI_CLIENT_API, type ClientStreamEncoder } from '../../sidecar/api/client-api.ts';
import { OpenAIStreamTranslator } from '../../sidecar/providers/openai/openai-stream.ts';
import type { AnswerSink } from '../../sidecar/proxy/client-sink.ts';
import { StreamRelay } from '../../sidecar/proxy/stream-relay.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '9' }, events: { type: 'string', default: '200000' } },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);

/** A chunk as OpenAI streams it: one token of content. */
function event(i: number): string {
  const chunk = {
    id: 'chatcmpl-abc123',
    object: 'chat.completion.chunk',
    created: 1732000000,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_0ba0d124f1',
    choices: [{ index: 0, delta: { content: ` token${i}` }, logprobs: null, finish_reason: null }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

function networkChunks(eventsPerChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < EVENTS / eventsPerChunk; i++) {
    let text = '';
    for (let j = 0; j < eventsPerChunk; j++) text += event(i * eventsPerChunk + j);
    chunks.push(Buffer.from(text));
  }
  return chunks;
}

/** A committed client stream that counts the bytes it would write. */
function countingSink(encoder: ClientStreamEncoder): AnswerSink & { written: number } {
  return {
    written: 0,
    committed: true,
    encoder,
    sent: [],
    answer: (body) => body,
    sendJson() {},
    hold() {},
    write(frames) {
      this.written += Buffer.byteLength(frames);
      return Promise.resolve(true);
    },
    writeVerbatim(bytes) {
      this.written += bytes.length;
      return Promise.resolve(true);
    },
    end() {},
    fail() {},
  };
}

async function relayAll(chunks: readonly Buffer[], encoder: ClientStreamEncoder): Promise<number> {
  const sink = countingSink(encoder);
  const translator = new OpenAIStreamTranslator({ clientWantsUsage: false });
  translator.answering = true; // the answer is under way: the bench measures its steady state
  const relay = new StreamRelay(sink, translator, 'bench', () => {});
  for (const chunk of chunks) await relay.chunk(chunk);
  await relay.end();
  return sink.written;
}

const passing = OPENAI_CLIENT_API.streamEncoder();
const reframing: ClientStreamEncoder = { encode: passing.encode, fail: passing.fail };

async function cpuMs(run: () => Promise<number>): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const results: Record<string, unknown>[] = [];
for (const eventsPerChunk of [1, 8]) {
  const chunks = networkChunks(eventsPerChunk);
  const before: number[] = [];
  const after: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    before.push(await cpuMs(() => relayAll(chunks, reframing)));
    after.push(await cpuMs(() => relayAll(chunks, passing)));
  }
  results.push({
    eventsPerChunk,
    events: EVENTS,
    reframeCpuMs: Math.round(median(before)),
    passThroughCpuMs: Math.round(median(after)),
    ratio: Number((median(after) / median(before)).toFixed(2)),
  });
}
console.log(JSON.stringify(results, null, 2));
