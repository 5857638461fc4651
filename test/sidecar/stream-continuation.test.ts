/**
 * Mid-stream continuation on real sockets with the official SDKs: a stream cut or stalled after content reached
 * the client is continued by a target that can continue an assistant message (Anthropic's prefill, vLLM's
 * continue_final_message), and the client reads one answer: the whole text exactly once, one id, one end, usage
 * adding up both attempts. Where nothing can continue it, the client gets the interrupted stream's own error.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { estimateTokens } from '../../mock-provider/text-tokens.ts';
import { estimateChatTokens } from '../../sidecar/api/openai-requests.ts';
import { as, DIALECTS } from '../support/dialects.ts';
import { CHAT, metricsText, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { toolCallingDialect } from '../support/tool-calling-dialect.ts';

/** Split by the mocks into 10 pieces: "The quick", " brown fox", " jumps ov", "er the la", "zy dog, th", "en rests ", … */
const FULL = 'The quick brown fox jumps over the lazy dog, then rests by the river until the sun goes down.';
/** The OpenAI mock's events: a role opener, then the pieces; cut after 7 the client has six pieces. */
const SENT_AT_7 = 'The quick brown fox jumps over the lazy dog, then rests ';
const STREAMED = { streamChunks: 10, replyText: FULL };

const ANTHROPIC = DIALECTS.anthropic!;
const COMPATIBLE = DIALECTS.compatible!;

interface Read {
  text: string;
  ids: Set<string>;
  models: Set<string>;
  finish: string | null | undefined;
  usage: OpenAI.CompletionUsage | undefined;
}

async function readStream(h: Harness): Promise<Read> {
  const stream = await h.client.chat.completions.create({
    ...CHAT,
    stream: true,
    stream_options: { include_usage: true },
  });
  const read: Read = { text: '', ids: new Set(), models: new Set(), finish: undefined, usage: undefined };
  for await (const chunk of stream) {
    read.ids.add(chunk.id);
    read.models.add(chunk.model);
    read.text += chunk.choices[0]?.delta.content ?? '';
    read.finish = chunk.choices[0]?.finish_reason ?? read.finish;
    if (chunk.usage) read.usage = chunk.usage;
  }
  return read;
}

async function rawStream(h: Harness): Promise<string> {
  const res = await fetch(`${h.sidecar.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...CHAT, stream: true }),
  });
  return res.text();
}

/** The sidecar's recorded tokens for a provider and direction (0 when none). */
function tokens(metrics: string, provider: string, direction: 'input' | 'output'): number {
  const line = metrics
    .split('\n')
    .find((l) =>
      l.startsWith(`switchboard_tokens_total{provider="${provider}",model="chat",direction="${direction}"}`),
    );
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** What the client got when the stream ended in an error: the SDK's error, and the text before it. */
async function failedStream(h: Harness): Promise<{ text: string; error: unknown }> {
  const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
  let text = '';
  const error = await (async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  })().catch((e: unknown) => e);
  return { text, error };
}

const continuers = [
  {
    name: 'an Anthropic target (assistant prefill)',
    mock: { name: 'rescuer', dialect: 'anthropic', behaviour: STREAMED },
    provider: (mocks: Harness['mocks']) => as(ANTHROPIC, mocks.rescuer),
    lastMessage: { role: 'assistant', content: SENT_AT_7.trimEnd() },
  },
  {
    name: 'a vLLM-style target (continue_final_message)',
    mock: { name: 'rescuer', behaviour: { ...STREAMED, continueFinalMessage: true } },
    provider: (mocks: Harness['mocks']) => ({
      ...as(COMPATIBLE, mocks.rescuer),
      continuation: 'continue-final-message',
    }),
    lastMessage: { role: 'assistant', content: SENT_AT_7 },
  },
];

describe('mid-stream continuation', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** A primary OpenAI provider in the best tier that fails as `primary` says, and `rescuers` in the next. */
  async function start(
    primary: Record<string, unknown>,
    rescuers: readonly { name: string; dialect?: string; behaviour: Record<string, unknown> }[],
    providers: (mocks: Harness['mocks']) => Record<string, Record<string, unknown>>,
    spec: Record<string, unknown> = {},
  ): Promise<void> {
    h = await startHarness(
      [{ name: 'primary', behaviour: { ...STREAMED, ...primary } }, ...rescuers],
      (mocks) => {
        const overrides = providers(mocks);
        return poolSpec(mocks, {
          spec,
          providers: Object.fromEntries(
            Object.keys(mocks).map((name, i) => [name, { priority: i, ...overrides[name] }]),
          ),
        });
      },
    );
  }

  it.each(continuers)(
    'an OpenAI stream cut after seven events is continued by $name: the whole answer once, one id, usage summed',
    async ({ mock, provider, lastMessage }) => {
      await start({ cutStreamAfterChunks: 7 }, [mock], (mocks) => ({
        rescuer: provider(mocks),
      }));
      const read = await readStream(h);
      expect(read.text).toBe(FULL);
      expect(read.ids.size).toBe(1);
      expect([...read.models]).toEqual(['gpt-4o-mini']);
      expect(read.finish).toBe('stop');

      // The continuing provider was asked to continue exactly what the client had.
      const asked = h.mocks.rescuer!.stats.lastRequest?.body as { messages: unknown[] };
      expect(asked.messages.at(-1)).toEqual(lastMessage);

      // Usage adds up the cut attempt (estimated: the provider never said) and the continuation (reported).
      const metrics = await metricsText(h.sidecar);
      const cut = {
        input: tokens(metrics, 'primary', 'input'),
        output: tokens(metrics, 'primary', 'output'),
      };
      expect(cut).toEqual({
        input: estimateChatTokens({ ...CHAT, stream: true }).input,
        output: Math.ceil(SENT_AT_7.length / 4),
      });
      const rest = {
        input: tokens(metrics, 'rescuer', 'input'),
        output: tokens(metrics, 'rescuer', 'output'),
      };
      expect(rest.output).toBe(estimateTokens(FULL.slice(SENT_AT_7.trimEnd().length)));
      expect(read.usage).toMatchObject({
        prompt_tokens: cut.input + rest.input,
        completion_tokens: cut.output + rest.output,
        total_tokens: cut.input + rest.input + cut.output + rest.output,
      });
      expect(metrics).toContain('switchboard_stream_continuations_total{result="rescued",model="chat"} 1');
      expect(metrics).toContain(
        'switchboard_upstream_attempts_total{provider="primary",model="chat",status_class="error"} 1',
      );

      // On the wire: one end marker, no error event.
      const raw = await rawStream(h);
      expect(raw.match(/data: \[DONE\]/g)).toHaveLength(1);
      expect(raw).not.toContain('"error"');
      const text = [...raw.matchAll(/"content":"((?:[^"\\]|\\.)*)"/g)]
        .map((m) => JSON.parse(`"${m[1]}"`))
        .join('');
      expect(text).toBe(FULL);
    },
  );

  it('a stream cut mid-word is continued without a gap or a repeat', async () => {
    await start({ cutStreamAfterChunks: 4 }, [continuers[0]!.mock], (mocks) => ({
      rescuer: as(ANTHROPIC, mocks.rescuer),
    }));
    const read = await readStream(h);
    expect(read.text).toBe(FULL);
    const asked = h.mocks.rescuer!.stats.lastRequest?.body as { messages: unknown[] };
    expect(asked.messages.at(-1)).toEqual({ role: 'assistant', content: 'The quick brown fox jumps ov' });
  });

  it('a stream that stalls mid-answer (idle timeout) is continued the same way', async () => {
    await start(
      { stallStreamAfterChunks: 7 },
      [continuers[0]!.mock],
      (mocks) => ({ rescuer: as(ANTHROPIC, mocks.rescuer) }),
      { timeouts: { idleStreamMs: 300 } },
    );
    const read = await readStream(h);
    expect(read.text).toBe(FULL);
    expect(read.ids.size).toBe(1);
    const metrics = await metricsText(h.sidecar);
    expect(metrics).toContain('switchboard_stream_continuations_total{result="rescued",model="chat"} 1');
    expect(h.logs.some((l) => l.includes('interrupted stream continued'))).toBe(true);
  });

  it('a server error reported inside the stream mid-answer is continued too', async () => {
    await start({ streamErrorAfterEvents: 7 }, [continuers[0]!.mock], (mocks) => ({
      rescuer: as(ANTHROPIC, mocks.rescuer),
    }));
    const read = await readStream(h);
    expect(read.text).toBe(FULL);
    const metrics = await metricsText(h.sidecar);
    expect(metrics).toContain('switchboard_stream_continuations_total{result="rescued",model="chat"} 1');
    expect(metrics).toContain(
      'switchboard_upstream_attempts_total{provider="primary",model="chat",status_class="5xx"} 1',
    );
  });

  it.each([
    {
      name: 'an Anthropic model that refuses prefill',
      mock: { name: 'refuser', dialect: 'anthropic', behaviour: { ...STREAMED, rejectPrefill: true } },
      provider: (mocks: Harness['mocks']) => as(ANTHROPIC, mocks.refuser),
      refusal: 'does not support assistant message prefill',
    },
    {
      name: 'a server that does not know continue_final_message',
      mock: { name: 'refuser', behaviour: STREAMED },
      provider: (mocks: Harness['mocks']) => ({
        ...as(COMPATIBLE, mocks.refuser),
        continuation: 'continue-final-message',
      }),
      refusal: 'Unrecognized request argument',
    },
  ])(
    'a continuation refused by $name (400) is recorded, and the client gets the original cut error, not the 400',
    async ({ mock, provider, refusal }) => {
      await start({ cutStreamAfterChunks: 7 }, [mock], (mocks) => ({ refuser: provider(mocks) }));
      const { text, error } = await failedStream(h);
      expect(text).toBe(SENT_AT_7);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(String((error as Error).message)).toContain('provider primary ended before it was complete');
      expect(String((error as Error).message)).not.toContain(refusal);
      expect(h.mocks.refuser!.stats.byStatus[400]).toBe(1);
      const metrics = await metricsText(h.sidecar);
      expect(metrics).toContain(
        'switchboard_upstream_attempts_total{provider="refuser",model="chat",status_class="4xx"} 1',
      );
      expect(metrics).toContain('switchboard_stream_continuations_total{result="failed",model="chat"} 1');
    },
  );

  it('after one target refuses the continuation, the next capable target continues it', async () => {
    await start(
      { cutStreamAfterChunks: 7 },
      [
        { name: 'refuser', dialect: 'anthropic', behaviour: { ...STREAMED, rejectPrefill: true } },
        { name: 'rescuer', dialect: 'anthropic', behaviour: STREAMED },
      ],
      (mocks) => ({ refuser: as(ANTHROPIC, mocks.refuser), rescuer: as(ANTHROPIC, mocks.rescuer) }),
      { retry: { attempts: 3 } },
    );
    const read = await readStream(h);
    expect(read.text).toBe(FULL);
    expect(h.mocks.refuser!.stats.byStatus[400]).toBe(1);
    expect(h.mocks.rescuer!.stats.byStatus[200]).toBe(1);
  });

  it('with no target able to continue, the stream ends with the cut error event as before', async () => {
    await start({ cutStreamAfterChunks: 7 }, [{ name: 'plain', behaviour: STREAMED }], () => ({}));
    const raw = await rawStream(h);
    const errors = raw.split('\n\n').filter((frame) => frame.includes('"error"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('provider primary');
    expect(raw).not.toContain('[DONE]');
    expect(h.mocks.plain!.stats.requests).toBe(0);
    // No target can continue: nothing is recorded for continuation, nothing is counted.
    const metrics = await metricsText(h.sidecar);
    expect(metrics).not.toContain('switchboard_stream_continuations_total{');
  });

  it.each([
    {
      name: 'a capable target that is not admitted (drained: weight 0) leaves the stream to end with its error',
      startIt: () =>
        start({ cutStreamAfterChunks: 7 }, [continuers[0]!.mock], (mocks) => ({
          rescuer: { ...as(ANTHROPIC, mocks.rescuer), weight: 0 },
        })),
    },
    {
      name: 'with the retries spent (retry.attempts: 0) the stream ends with its error, counted unavailable',
      startIt: () =>
        start(
          { cutStreamAfterChunks: 7 },
          [continuers[0]!.mock],
          (mocks) => ({ rescuer: as(ANTHROPIC, mocks.rescuer) }),
          { retry: { attempts: 0 } },
        ),
    },
  ])('$name', async ({ startIt }) => {
    await startIt();
    const { text, error } = await failedStream(h);
    expect(text).toBe(SENT_AT_7);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(h.mocks.rescuer!.stats.requests).toBe(0);
    const metrics = await metricsText(h.sidecar);
    expect(metrics).toContain('switchboard_stream_continuations_total{result="unavailable",model="chat"} 1');
  });

  it('a tool call cut mid-way is not continued: the stream ends with its error', async () => {
    h = await startHarness(
      [
        { name: 'primary', dialect: toolCallingDialect, behaviour: { cutStreamAfterChunks: 3 } },
        { name: 'rescuer', dialect: 'anthropic', behaviour: STREAMED },
      ],
      (mocks) =>
        poolSpec(mocks, {
          providers: { primary: { priority: 0 }, rescuer: { ...as(ANTHROPIC, mocks.rescuer), priority: 1 } },
        }),
    );
    const stream = await h.client.chat.completions.create({
      ...CHAT,
      stream: true,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    });
    const error = await (async () => {
      for await (const _chunk of stream);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(h.mocks.rescuer!.stats.requests).toBe(0);
    const metrics = await metricsText(h.sidecar);
    expect(metrics).toContain(
      'switchboard_stream_continuations_total{result="not-continuable",model="chat"} 1',
    );
  });

  it('an app on the Anthropic SDK reads one message when an Anthropic stream is cut and continued', async () => {
    h = await startHarness(
      [
        // message_start, content_block_start, ping, then text deltas: cut after 7 events, four pieces went out.
        { name: 'primary', dialect: 'anthropic', behaviour: { ...STREAMED, cutStreamAfterChunks: 7 } },
        { name: 'rescuer', dialect: 'anthropic', behaviour: STREAMED },
      ],
      (mocks) =>
        poolSpec(mocks, {
          providers: {
            primary: { ...as(ANTHROPIC, mocks.primary), priority: 0 },
            rescuer: { ...as(ANTHROPIC, mocks.rescuer), priority: 1 },
          },
        }),
    );
    const client = new Anthropic({ baseURL: new URL(h.sidecar.url).origin, apiKey: 'unused', maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'chat',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    const message = await stream.finalMessage();
    expect(message.content).toHaveLength(1);
    const block = message.content[0];
    expect(block?.type === 'text' ? block.text : undefined).toBe(FULL);
    expect(message.stop_reason).toBe('end_turn');
    const asked = h.mocks.rescuer!.stats.lastRequest?.body as { messages: unknown[] };
    expect(asked.messages.at(-1)).toEqual({
      role: 'assistant',
      content: 'The quick brown fox jumps over the la',
    });
    const metrics = await metricsText(h.sidecar);
    expect(message.usage.output_tokens).toBe(
      tokens(metrics, 'primary', 'output') + tokens(metrics, 'rescuer', 'output'),
    );
  });
});
