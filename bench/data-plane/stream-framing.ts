/**
 * What the sidecar spends per streamed event for an OpenAI upstream and an OpenAI client, alone: re-framing every
 * event (parse, translate, `formatSseEvent`, as before pass-through) against passing the upstream's bytes on (split
 * at event boundaries, parse and translate alongside, the bytes themselves when every event passes, as
 * upstream-attempt.ts does). Both run the real parser, translator, splitter and writer, in this process,
 * alternated over rounds; CPU time is read with `process.cpuUsage`. Prints medians and their ratio as JSON.
 *
 *   taskset -c 1 node bench/data-plane/stream-framing.ts --rounds 9
 */
import { parseArgs } from 'node:util';
import { SseParser } from '../../core/sse/sse-parser.ts';
import { SseEventBytes } from '../../core/sse/sse-event-bytes.ts';
import { formatSseEvent } from '../../core/sse/sse-writer.ts';
import { OpenAIStreamTranslator } from '../../sidecar/providers/openai/openai-stream.ts';

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

/** Bytes handed to the socket; a string is encoded there, which Buffer.byteLength stands in for. */
function reframe(chunks: readonly Buffer[]): number {
  const parser = new SseParser();
  const translator = new OpenAIStreamTranslator({ clientWantsUsage: false });
  let written = 0;
  for (const chunk of chunks) {
    let frames = '';
    for (const e of parser.feed(chunk))
      for (const data of translator.onEvent(e)) frames += formatSseEvent({ data });
    written += Buffer.byteLength(frames);
  }
  return written;
}

function passThrough(chunks: readonly Buffer[]): number {
  const parser = new SseParser();
  const translator = new OpenAIStreamTranslator({ clientWantsUsage: false });
  const split = new SseEventBytes();
  let written = 0;
  for (const chunk of chunks) {
    const bytes = split.take(chunk);
    const events = parser.feed(bytes);
    const outs = events.map((e) => translator.onEvent(e));
    const same = events.every(
      (e, i) => outs[i]?.length === 1 && outs[i]?.[0] === e.data && e.event === undefined,
    );
    if (!same) throw new Error('every event of this stream passes as it came');
    written += bytes.length;
  }
  return written;
}

function cpuMs(run: () => number): number {
  const start = process.cpuUsage();
  run();
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
    before.push(cpuMs(() => reframe(chunks)));
    after.push(cpuMs(() => passThrough(chunks)));
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
