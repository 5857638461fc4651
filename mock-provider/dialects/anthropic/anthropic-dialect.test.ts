import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../../core/clock.ts';
import { SseParser } from '../../../core/sse/sse-parser.ts';
import type { MockProvider, MockProviderOptions } from '../../server.ts';
import { withMockProvider } from '../../test-support.ts';
import { createAnthropicDialect } from './anthropic-dialect.ts';

const API_KEY = 'sk-ant-test-0123456789';
const VERSION = '2023-06-01';
const ASK = {
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  messages: [{ role: 'user', content: 'Say hello.' }],
};
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather',
  input_schema: {
    type: 'object',
    properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['location'],
  },
};

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function post(
  mock: MockProvider,
  body: unknown,
  headers: Record<string, string> = { 'x-api-key': API_KEY, 'anthropic-version': VERSION },
  path = '/v1/messages',
): Promise<Answer> {
  const res = await fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function stream(mock: MockProvider, body: Record<string, unknown>) {
  const res = await fetch(`${mock.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'anthropic-version': VERSION },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events = new SseParser().feed(await res.text());
  return events.map((e) => ({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> }));
}

function anthropic(options: MockProviderOptions = {}) {
  return { name: 'claude-mock', dialect: 'anthropic', apiKey: API_KEY, ...options };
}

describe('Anthropic mock: messages', () => {
  it('answers a message with the documented shape, a request id and rate-limit headers', async () => {
    const clock = new ManualClock(Date.parse('2025-06-01T12:00:00Z'));
    await withMockProvider(anthropic({ clock }), async (mock) => {
      expect(mock.url).toBe(mock.origin); // the SDK's base URL is the origin; routes carry /v1
      const { status, headers, body } = await post(mock, ASK);
      expect(status).toBe(200);
      const text = 'Hello from claude-mock. You said: Say hello.';
      expect(body).toEqual({
        id: expect.stringMatching(/^msg_[0-9A-Za-z]{24}$/),
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: expect.any(Number),
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: Math.ceil(text.length / 4),
        },
      });
      expect(headers.get('request-id')).toMatch(/^req_/);
      expect(headers.get('anthropic-ratelimit-requests-limit')).toBe('10000');
      expect(headers.get('anthropic-ratelimit-requests-remaining')).toBe('9999');
      expect(headers.get('anthropic-ratelimit-requests-reset')).toBe('2025-06-01T12:01:00Z');
      expect(headers.get('anthropic-ratelimit-tokens-remaining')).toBe(String(2_000_000 - tokensOf(body)));
      expect(headers.get('anthropic-ratelimit-input-tokens-limit')).toBe('2000000');
    });
  });

  it('cuts the reply at the first stop sequence and says which one', async () => {
    await withMockProvider(anthropic(), async (mock) => {
      const { body } = await post(mock, { ...ASK, stop_sequences: ['You said', 'from'] });
      expect(body).toMatchObject({
        content: [{ type: 'text', text: 'Hello ' }],
        stop_reason: 'stop_sequence',
        stop_sequence: 'from',
      });
    });
  });

  it('cuts the reply at max_tokens', async () => {
    await withMockProvider(anthropic(), async (mock) => {
      const { body } = await post(mock, { ...ASK, max_tokens: 2 });
      expect(body).toMatchObject({
        content: [{ type: 'text', text: 'Hello fr' }],
        stop_reason: 'max_tokens',
      });
    });
  });

  it('streams the documented event sequence whose text adds up to the reply', async () => {
    await withMockProvider(anthropic({ behaviour: { streamChunks: 3 } }), async (mock) => {
      const events = await stream(mock, ASK);
      expect(events.map((e) => e.event)).toEqual([
        'message_start',
        'content_block_start',
        'ping',
        'content_block_delta',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      for (const e of events) expect(e.data.type).toBe(e.event);
      expect(events[0]?.data.message).toMatchObject({
        content: [],
        stop_reason: null,
        usage: { output_tokens: 1 },
      });
      const text = events
        .filter((e) => e.event === 'content_block_delta')
        .map((e) => (e.data.delta as { text: string }).text)
        .join('');
      expect(text).toBe('Hello from claude-mock. You said: Say hello.');
      expect(events.at(-2)?.data).toEqual({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: Math.ceil(text.length / 4) },
      });
    });
  });
});

describe('Anthropic mock: tools', () => {
  it('calls a tool the prompt names, after saying so, with input built from its schema', async () => {
    await withMockProvider(anthropic(), async (mock) => {
      const ask = {
        ...ASK,
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'Use get_weather for Paris' }],
      };
      const { body } = await post(mock, ask);
      expect(body.stop_reason).toBe('tool_use');
      expect(body.content).toEqual([
        { type: 'text', text: "I'll call get_weather." },
        {
          type: 'tool_use',
          id: expect.stringMatching(/^toolu_/),
          name: 'get_weather',
          input: { location: 'mock location', unit: 'celsius' },
        },
      ]);
    });
  });

  it.each([
    ['a prompt that names no tool', 'end_turn', 'Say hello.', undefined],
    ['tool_choice none', 'end_turn', 'Use get_weather', { type: 'none' }],
    ['tool_choice any', 'tool_use', 'Say hello.', { type: 'any' }],
    ['tool_choice naming the tool', 'tool_use', 'Say hello.', { type: 'tool', name: 'get_weather' }],
  ])('answers %s with stop reason %s', async (_name, stopReason, content, toolChoice) => {
    await withMockProvider(anthropic(), async (mock) => {
      const ask = {
        ...ASK,
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content }],
        ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
      };
      const { body } = await post(mock, ask);
      expect(body.stop_reason).toBe(stopReason);
      // a forced tool call comes without a preface
      if (toolChoice !== undefined && stopReason === 'tool_use') expect(body.content).toHaveLength(1);
    });
  });

  it('answers tool results in text, echoing them', async () => {
    await withMockProvider(anthropic(), async (mock) => {
      const { status, body } = await post(mock, {
        ...ASK,
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'Use get_weather' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '21C' }] },
        ],
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: expect.stringContaining('21C') }],
      });
    });
  });

  it('streams a tool call as input_json_delta events that add up to the input', async () => {
    await withMockProvider(anthropic(), async (mock) => {
      const events = await stream(mock, { ...ASK, tools: [WEATHER_TOOL], tool_choice: { type: 'any' } });
      const start = events.find((e) => e.event === 'content_block_start');
      expect(start?.data).toMatchObject({
        index: 0,
        content_block: { type: 'tool_use', name: 'get_weather', input: {} },
      });
      const json = events
        .filter((e) => e.event === 'content_block_delta')
        .map((e) => (e.data.delta as { type: string; partial_json: string }).partial_json)
        .join('');
      expect(JSON.parse(json)).toEqual({ location: 'mock location', unit: 'celsius' });
      expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'tool_use' } });
    });
  });
});

describe('Anthropic mock: what the real API refuses', () => {
  it.each([
    ['no max_tokens', { ...ASK, max_tokens: undefined }, 'max_tokens: Field required'],
    ['no messages', { model: 'm', max_tokens: 5 }, 'messages: Field required'],
    [
      'a system role in messages',
      { ...ASK, messages: [{ role: 'system', content: 'x' }] },
      "messages.0.role: Input should be 'user' or 'assistant'",
    ],
    ['OpenAI fields it does not know', { ...ASK, n: 1 }, 'n: Extra inputs are not permitted'],
    [
      'an OpenAI temperature above 1',
      { ...ASK, temperature: 1.5 },
      'temperature: Input should be less than or equal to 1',
    ],
    [
      'empty text blocks',
      { ...ASK, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] },
      'text content blocks must be non-empty',
    ],
    [
      'an empty user message',
      { ...ASK, messages: [{ role: 'user', content: '' }] },
      'must have non-empty content',
    ],
    [
      'OpenAI image parts',
      { ...ASK, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      "Input tag 'image_url'",
    ],
    [
      'image types it does not take',
      {
        ...ASK,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'Qk0=' } }],
          },
        ],
      },
      'media_type',
    ],
    [
      'a tool result without its tool use',
      {
        ...ASK,
        messages: [
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }] },
        ],
      },
      'unexpected `tool_use_id`',
    ],
    [
      'a tool use without its result',
      {
        ...ASK,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
          { role: 'user', content: 'b' },
        ],
      },
      'without `tool_result` blocks',
    ],
    [
      'a tool schema that is not an object',
      { ...ASK, tools: [{ name: 'f', input_schema: { type: 'string' } }] },
      "input_schema.type: Input should be 'object'",
    ],
    [
      'tool_choice without tools',
      { ...ASK, tool_choice: { type: 'auto' } },
      'only be specified while providing tools',
    ],
    ['whitespace stop sequences', { ...ASK, stop_sequences: [' '] }, 'non-whitespace'],
  ])('refuses %s with a 400 invalid_request_error', async (_name, body, message) => {
    await withMockProvider(anthropic(), async (mock) => {
      const answer = await post(mock, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringContaining(message) },
      });
    });
  });

  it.each([
    [
      'no anthropic-version header',
      { 'x-api-key': API_KEY },
      400,
      'invalid_request_error',
      'anthropic-version: header is required',
    ],
    [
      'an unknown anthropic-version',
      { 'x-api-key': API_KEY, 'anthropic-version': '2024-10-22' },
      400,
      'invalid_request_error',
      'anthropic-version: "2024-10-22" is not a valid version',
    ],
    [
      'no x-api-key',
      { 'anthropic-version': VERSION },
      401,
      'authentication_error',
      'x-api-key header is required',
    ],
    [
      'a wrong x-api-key',
      { 'anthropic-version': VERSION, 'x-api-key': 'nope' },
      401,
      'authentication_error',
      'invalid x-api-key',
    ],
    [
      'an OpenAI-style bearer key',
      { 'anthropic-version': VERSION, authorization: `Bearer ${API_KEY}` },
      401,
      'authentication_error',
      'x-api-key header is required',
    ],
  ])('refuses a request with %s', async (_name, headers, status, type, message) => {
    await withMockProvider(anthropic(), async (mock) => {
      const answer = await post(mock, ASK, headers);
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual({ type: 'error', error: { type, message } });
    });
  });

  it('answers an unknown model with not_found_error when models are strict', async () => {
    await withMockProvider(anthropic({ models: ['claude-haiku-4-5'], strictModels: true }), async (mock) => {
      const answer = await post(mock, { ...ASK, model: 'claude-nope' });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({
        type: 'error',
        error: { type: 'not_found_error', message: 'model: claude-nope' },
      });
    });
  });

  it('answers an unknown path with not_found_error', async () => {
    await withMockProvider(anthropic(), async (mock) => {
      const answer = await post(mock, ASK, undefined, '/v1/chat/completions');
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    });
  });
});

describe('Anthropic mock: injected failures in Anthropic’s words', () => {
  it.each([
    ['server errors as 500 api_error', anthropic({ behaviour: { errorRate: 1 } }), 500, 'api_error'],
    [
      'server errors as 529 overloaded_error in overload mode',
      anthropic({
        dialect: createAnthropicDialect({ serverError: 'overloaded_error' }),
        behaviour: { errorRate: 1 },
      }),
      529,
      'overloaded_error',
    ],
    [
      'rate limits as 429 rate_limit_error',
      anthropic({ behaviour: { rateLimitRate: 1, retryAfterS: 7 } }),
      429,
      'rate_limit_error',
    ],
    [
      'a used-up credit balance as a 400',
      anthropic({ behaviour: { insufficientQuota: true } }),
      400,
      'invalid_request_error',
    ],
  ])('words %s', async (_name, options, status, type) => {
    await withMockProvider(options, async (mock) => {
      const answer = await post(mock, ASK);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ type: 'error', error: { type } });
      if (status === 429) {
        expect(answer.headers.get('retry-after')).toBe('7');
        expect(answer.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
      }
    });
  });

  it('ends a stream with an error event in mid-stream error mode', async () => {
    const dialect = createAnthropicDialect({
      midStreamError: { afterEvents: 2, type: 'overloaded_error', message: 'Overloaded' },
    });
    await withMockProvider(anthropic({ dialect }), async (mock) => {
      const events = await stream(mock, ASK);
      expect(events.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'error']);
      expect(events.at(-1)?.data).toEqual({
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
      });
    });
  });
});

describe('Anthropic mock: models', () => {
  it('lists and retrieves models in Anthropic’s shape', async () => {
    await withMockProvider(anthropic({ models: ['claude-haiku-4-5', 'claude-sonnet-4-5'] }), async (mock) => {
      const headers = { 'x-api-key': API_KEY, 'anthropic-version': VERSION };
      const list = (await (await fetch(`${mock.url}/v1/models`, { headers })).json()) as Record<
        string,
        unknown
      >;
      expect(list).toMatchObject({
        has_more: false,
        first_id: 'claude-haiku-4-5',
        last_id: 'claude-sonnet-4-5',
      });
      expect((list.data as unknown[])[0]).toEqual({
        type: 'model',
        id: 'claude-haiku-4-5',
        display_name: 'claude-haiku-4-5',
        created_at: expect.any(String),
      });
      const missing = await fetch(`${mock.url}/v1/models/claude-nope`, { headers });
      expect(missing.status).toBe(404);
    });
  });
});

function tokensOf(body: Record<string, unknown>): number {
  const usage = body.usage as { input_tokens: number; output_tokens: number };
  return usage.input_tokens + usage.output_tokens;
}

describe('Anthropic mock: assistant prefill', () => {
  const REPLY = 'The quick brown fox jumps over the lazy dog.';
  const prefilled = (text: string) => ({
    ...ASK,
    messages: [...ASK.messages, { role: 'assistant', content: text }],
  });

  it.each([
    {
      name: 'continues the prefilled text where it ends',
      prefill: 'The quick brown fox',
      rest: ' jumps over the lazy dog.',
    },
    { name: 'answers whole when the prefill is not how its reply begins', prefill: 'Sure', rest: REPLY },
  ])('$name, in a message and in a stream', async ({ prefill, rest }) => {
    await withMockProvider(anthropic({ behaviour: { replyText: REPLY, streamChunks: 3 } }), async (mock) => {
      const { status, body } = await post(mock, prefilled(prefill));
      expect(status).toBe(200);
      expect(body.content).toEqual([{ type: 'text', text: rest }]);
      const events = await stream(mock, prefilled(prefill));
      const streamed = events
        .map((e) => (e.data.delta as { text?: string } | undefined)?.text ?? '')
        .join('');
      expect(streamed).toBe(rest);
    });
  });

  it('refuses a final assistant turn ending in whitespace, as the API does', async () => {
    await withMockProvider(anthropic(), async (mock) => {
      const { status, body } = await post(mock, prefilled('The quick '));
      expect(status).toBe(400);
      expect(body.error).toEqual({
        type: 'invalid_request_error',
        message: 'messages: final assistant content cannot end with trailing whitespace',
      });
    });
  });

  it('refuses any prefill when it plays a model without prefill (rejectPrefill)', async () => {
    await withMockProvider(anthropic({ behaviour: { rejectPrefill: true } }), async (mock) => {
      const { status, body } = await post(mock, prefilled('The quick'));
      expect(status).toBe(400);
      expect((body.error as { message: string }).message).toContain(
        'does not support assistant message prefill',
      );
      expect((await post(mock, ASK)).status).toBe(200);
    });
  });
});
