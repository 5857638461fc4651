/**
 * The anthropic dialect end to end: the official OpenAI SDK → the sidecar → an Anthropic-speaking mock provider
 * (which refuses what the real Messages API refuses), over real sockets.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { BadRequestError } from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import {
  createAnthropicDialect,
  type AnthropicDialectOptions,
} from '../../mock-provider/dialects/anthropic/anthropic-dialect.ts';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import { CHAT, metricsText, startHarness, type Harness } from '../support/sidecar-harness.ts';

const CLAUDE_KEY = 'sk-ant-api03-test-key-0123456789';
const WEATHER: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

interface Setup {
  /** Knobs of the Anthropic mock "claude". */
  readonly behaviour?: Partial<MockBehaviour>;
  readonly dialect?: AnthropicDialectOptions;
  /** Also run an OpenAI mock "backup" serving the same logical model. */
  readonly backup?: boolean;
  readonly spec?: Record<string, unknown>;
  readonly claudeWeight?: number;
}

describe('the anthropic dialect through the sidecar', () => {
  let h: Harness;
  let claude: MockProvider;
  afterEach(async () => {
    await h.close();
    await claude.close();
  });

  async function start(setup: Setup = {}): Promise<void> {
    claude = await startMockProvider({
      name: 'claude',
      dialect: createAnthropicDialect(setup.dialect),
      apiKey: CLAUDE_KEY,
      seed: 7,
      ...(setup.behaviour === undefined ? {} : { behaviour: setup.behaviour }),
    });
    h = await startHarness(
      setup.backup === true ? [{ name: 'backup' }] : [],
      (mocks) => ({
        strategy: { type: 'round-robin' },
        retry: { attempts: 2 },
        ...setup.spec,
        providers: [
          {
            name: 'claude',
            type: 'anthropic',
            baseURL: claude.url,
            apiKey: { env: 'CLAUDE_KEY' },
            weight: setup.claudeWeight ?? 1,
            models: [
              {
                name: 'chat',
                model: 'claude-haiku-4-5',
                maxOutputTokens: 300,
                pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 5 },
              },
            ],
          },
          ...Object.values(mocks).map((m) => ({
            name: m.name,
            type: 'openai',
            baseURL: m.url,
            models: [{ name: 'chat', model: 'gpt-4o-mini' }],
          })),
        ],
      }),
      { secrets: { env: { CLAUDE_KEY } } },
    );
  }

  function lastUpstreamBody(): Record<string, unknown> {
    return claude.stats.lastRequest?.body as Record<string, unknown>;
  }

  it('answers a chat completion from Claude, translated both ways', async () => {
    await start();
    const { data, response } = await h.client.chat.completions
      .create({
        model: 'chat',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello.' },
        ],
        temperature: 1.5,
        stop: ['NEVER'],
      })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('claude');
    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^msg_/);
    expect(data.choices[0]?.message.content).toBe('Hello from claude. You said: Say hello.');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.completion_tokens).toBe(
      Math.ceil('Hello from claude. You said: Say hello.'.length / 4),
    );
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    );
    const sent = claude.stats.lastRequest;
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe(CLAUDE_KEY);
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 300, // the pool's maxOutputTokens, as the request set none
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hello.' }],
      temperature: 1, // clamped into Anthropic's range
      stop_sequences: ['NEVER'],
    });
  });

  it('streams text chunk by chunk, ends cleanly and adds usage only when asked', async () => {
    await start();
    let text = '';
    let finish: string | null | undefined;
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      expect(chunk.usage ?? null).toBeNull();
    }
    expect(text).toBe('Hello from claude. You said: Say hello.');
    expect(finish).toBe('stop');

    const usages = [];
    const withUsage = await h.client.chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of withUsage) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0]?.completion_tokens).toBe(Math.ceil(text.length / 4));
    // OpenAI's stream_options is not an Anthropic field: the sidecar did not send it (the mock would refuse it)
    expect(lastUpstreamBody().stream).toBe(true);
    expect(lastUpstreamBody().stream_options).toBeUndefined();
  });

  it('streams tool calls the SDK can assemble', async () => {
    await start();
    const stream = await h.client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Use get_weather for Paris.' }],
      tools: [WEATHER],
      stream: true,
    });
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        const seen = calls.get(call.index) ?? { id: '', name: '', args: '' };
        calls.set(call.index, {
          id: seen.id + (call.id ?? ''),
          name: seen.name + (call.function?.name ?? ''),
          args: seen.args + (call.function?.arguments ?? ''),
        });
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect([...calls.keys()]).toEqual([0]);
    expect(calls.get(0)?.id).toMatch(/^toolu_/);
    expect(calls.get(0)?.name).toBe('get_weather');
    expect(JSON.parse(calls.get(0)?.args ?? '')).toEqual({ city: 'mock city' });
  });

  it('completes a tool round trip: tool call, tool result, final answer', async () => {
    await start();
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Use get_weather for Paris.' }];
    const first = await h.client.chat.completions.create({ model: 'chat', messages, tools: [WEATHER] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    messages.push(first.choices[0]?.message as ChatCompletionMessageParam, {
      role: 'tool',
      tool_call_id: call.id,
      content: 'Sunny, 24C',
    });
    // the mock refuses a tool_result whose tool_use is not in the previous message: this passing proves the pairing
    const second = await h.client.chat.completions.create({ model: 'chat', messages, tools: [WEATHER] });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('Sunny, 24C');
    const sent = lastUpstreamBody().messages as { role: string; content: unknown }[];
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('answers in JSON mode with content that parses to the schema, streamed or not', async () => {
    await start();
    const response_format = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'city',
        schema: { type: 'object', properties: { name: { type: 'string' }, population: { type: 'integer' } } },
      },
    };
    const answer = await h.client.chat.completions.create({ ...CHAT, response_format });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toEqual({
      name: 'mock name',
      population: 1,
    });
    expect(answer.choices[0]?.message.tool_calls).toBeUndefined();

    let text = '';
    const stream = await h.client.chat.completions.create({ ...CHAT, response_format, stream: true });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(JSON.parse(text)).toEqual({ name: 'mock name', population: 1 });
  });

  it('answers 400 with the reason when only Anthropic targets exist and the request needs what they lack', async () => {
    await start();
    const err = await h.client.chat.completions.create({ ...CHAT, n: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain('claude: n > 1');
    expect(claude.stats.requests).toBe(0);
  });

  it('sends what Anthropic cannot serve to a provider that can', async () => {
    await start({ backup: true });
    const served = [];
    for (let i = 0; i < 4; i++) {
      const { response } = await h.client.chat.completions.create({ ...CHAT, logprobs: true }).withResponse();
      served.push(response.headers.get('x-switchboard-provider'));
    }
    expect(served).toEqual(['backup', 'backup', 'backup', 'backup']);
    expect(claude.stats.requests).toBe(0);
  });

  it('fails over to another provider when Anthropic is overloaded (529)', async () => {
    await start({
      backup: true,
      dialect: { serverError: 'overloaded_error' },
      behaviour: { errorRate: 1 },
      spec: { breaker: { consecutiveFailures: 100 } },
    });
    const results = [];
    for (let i = 0; i < 4; i++) {
      const { response } = await h.client.chat.completions.create(CHAT).withResponse();
      results.push(response.headers.get('x-switchboard-provider'));
    }
    expect(results).toEqual(['backup', 'backup', 'backup', 'backup']);
    expect(claude.stats.byStatus[529]).toBeGreaterThanOrEqual(2);
  });

  it('answers 503 when overload is all there is', async () => {
    await start({ dialect: { serverError: 'overloaded_error' }, behaviour: { errorRate: 1 } });
    const err = await h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(503);
    expect((err as Error).message).toContain('Overloaded');
  });

  it('retries a stream that Anthropic ends with an overload error before any content, invisibly to the client', async () => {
    await start({
      backup: true,
      dialect: { midStreamError: { afterEvents: 3, type: 'overloaded_error', message: 'Overloaded' } },
      behaviour: { chunkIntervalMs: 20 }, // events arrive one by one, not coalesced into one read
      spec: { strategy: { type: 'weighted-round-robin' } },
      claudeWeight: 1000, // claude is tried first
    });
    let text = '';
    const { data: stream, response } = await h.client.chat.completions
      .create({ ...CHAT, stream: true })
      .withResponse();
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(claude.stats.streamsStarted).toBe(1);
    expect(response.headers.get('x-switchboard-provider')).toBe('backup');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(text).toBe('Hello from backup. You said: Say hello.');
  });

  it('moves to another provider when the Anthropic credit balance is used up, and leaves it alone after', async () => {
    await start({ backup: true, behaviour: { insufficientQuota: true } });
    const served = [];
    for (let i = 0; i < 4; i++) {
      const { response } = await h.client.chat.completions.create(CHAT).withResponse();
      served.push(response.headers.get('x-switchboard-provider'));
    }
    expect(served).toEqual(['backup', 'backup', 'backup', 'backup']);
    expect(claude.stats.byStatus[400]).toBe(1); // cooled down for long after the first refusal
  });

  it('counts Anthropic’s reported tokens and their cost in /metrics', async () => {
    await start();
    const answer = await h.client.chat.completions.create(CHAT);
    const stream = await h.client.chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = { prompt_tokens: 0, completion_tokens: 0 };
    for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage;
    const input = (answer.usage?.prompt_tokens ?? 0) + streamed.prompt_tokens;
    const output = (answer.usage?.completion_tokens ?? 0) + streamed.completion_tokens;
    expect(input).toBeGreaterThan(0);
    const text = await metricsText(h.sidecar);
    expect(text).toContain(
      `switchboard_tokens_total{provider="claude",model="chat",direction="input"} ${input}`,
    );
    expect(text).toContain(
      `switchboard_tokens_total{provider="claude",model="chat",direction="output"} ${output}`,
    );
    const cost = /switchboard_cost_usd_total\{provider="claude",model="chat"\} ([0-9.e-]+)/.exec(text);
    expect(Number(cost?.[1])).toBeCloseTo((input * 1 + output * 5) / 1e6, 12);
  });
});
