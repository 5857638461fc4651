import { describe, expect, it } from '@jest/globals';
import OpenAI, {
  APIConnectionError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from 'openai';
import type { MockProvider } from '../../server.ts';
import { eventually, rejectionOf, withMockProvider } from '../../test-support.ts';

const API_KEY = 'sk-test-0123456789';

function client(provider: MockProvider, options: { timeout?: number } = {}): OpenAI {
  return new OpenAI({ baseURL: provider.url, apiKey: API_KEY, maxRetries: 0, ...options });
}

const ask = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'What is a load balancer?' }],
};

describe('OpenAI dialect: chat completions through the official SDK', () => {
  it('answers a chat completion naming the provider and echoing the model', async () => {
    await withMockProvider({ name: 'alpha', apiKey: API_KEY }, async (mock) => {
      const completion = await client(mock).chat.completions.create(ask);
      expect(completion).toMatchObject({
        object: 'chat.completion',
        model: 'gpt-4o-mini',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: 'Hello from alpha. You said: What is a load balancer?',
              refusal: null,
            },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
      });
      expect(completion.id).toMatch(/^chatcmpl-[0-9A-Za-z]{29}$/);
      expect(completion.created).toBeCloseTo(Date.now() / 1000, -1);
      expect(completion.system_fingerprint).toMatch(/^fp_[0-9a-f]+$/);
      const usage = completion.usage;
      expect(usage?.completion_tokens).toBe(
        Math.ceil('Hello from alpha. You said: What is a load balancer?'.length / 4),
      );
      expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    });
  });

  it('tells two providers apart by their replies', async () => {
    await withMockProvider({ name: 'alpha' }, async (alpha) => {
      await withMockProvider({ name: 'beta' }, async (beta) => {
        const a = await client(alpha).chat.completions.create(ask);
        const b = await client(beta).chat.completions.create(ask);
        expect(a.choices[0]?.message.content).toContain('alpha');
        expect(b.choices[0]?.message.content).toContain('beta');
      });
    });
  });

  it('answers n choices when asked for several', async () => {
    await withMockProvider({}, async (mock) => {
      const completion = await client(mock).chat.completions.create({ ...ask, n: 2 });
      expect(completion.choices.map((c) => c.index)).toEqual([0, 1]);
    });
  });

  it.each([
    { name: 'max_tokens', limit: { max_tokens: 3 } },
    { name: 'max_completion_tokens', limit: { max_completion_tokens: 3 } },
  ])('truncates the reply at $name with finish_reason length', async ({ limit }) => {
    await withMockProvider({ name: 'alpha' }, async (mock) => {
      const completion = await client(mock).chat.completions.create({ ...ask, ...limit });
      expect(completion.choices[0]?.finish_reason).toBe('length');
      expect(completion.choices[0]?.message.content).toBe('Hello from a');
      expect(completion.usage?.completion_tokens).toBe(3);
    });
  });

  it('sends rate-limit headers with every answer, counting down', async () => {
    await withMockProvider({ behaviour: { requestsPerMinute: 100, tokensPerMinute: 1000 } }, async (mock) => {
      const sdk = client(mock);
      await sdk.chat.completions.create(ask);
      const { data, response } = await sdk.chat.completions.create(ask).withResponse();
      const headers = response.headers;
      expect(headers.get('x-ratelimit-limit-requests')).toBe('100');
      expect(headers.get('x-ratelimit-remaining-requests')).toBe('98');
      expect(headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?(ms|s)$|^\d+m[\d.]+s$/);
      expect(headers.get('x-ratelimit-limit-tokens')).toBe('1000');
      expect(Number(headers.get('x-ratelimit-remaining-tokens'))).toBe(
        1000 - 2 * (data.usage?.total_tokens ?? 0),
      );
      expect(headers.get('x-ratelimit-reset-tokens')).not.toBeNull();
      expect(headers.get('x-request-id')).toMatch(/^req_/);
      expect(headers.get('x-mock-provider')).toBe('mock');
    });
  });

  it('records the last request with its headers and parsed body', async () => {
    await withMockProvider({}, async (mock) => {
      await client(mock).chat.completions.create(ask);
      expect(mock.stats.lastRequest).toMatchObject({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${API_KEY}` },
        body: ask,
      });
      expect(mock.stats.byPath).toEqual({ '/v1/chat/completions': 1 });
      expect(mock.stats.byStatus).toEqual({ 200: 1 });
      await eventually(() => mock.stats.inFlight === 0);
      expect(mock.stats.clientAborts).toBe(0);
    });
  });
});

describe('OpenAI dialect: streaming through the official SDK', () => {
  it('streams a role chunk, content deltas and a finish chunk that add up to the full reply', async () => {
    await withMockProvider({ name: 'alpha', behaviour: { streamChunks: 4 } }, async (mock) => {
      const sdk = client(mock);
      const whole = await sdk.chat.completions.create(ask);
      const chunks = [];
      for await (const chunk of await sdk.chat.completions.create({ ...ask, stream: true }))
        chunks.push(chunk);
      expect(chunks).toHaveLength(1 + 4 + 1);
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini')).toBe(
        true,
      );
      expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
        whole.choices[0]?.message.content,
      );
      expect(chunks.slice(0, -1).every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
      expect(chunks.at(-1)?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
      expect(chunks.every((c) => c.usage === undefined)).toBe(true);
      expect(mock.stats.streamsCompleted).toBe(1);
    });
  });

  it('adds a usage chunk with empty choices when include_usage is set', async () => {
    await withMockProvider({ behaviour: { streamChunks: 2 } }, async (mock) => {
      const chunks = [];
      const stream = await client(mock).chat.completions.create({
        ...ask,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) chunks.push(chunk);
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage?.total_tokens).toBe(
        (last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0),
      );
      expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    });
  });

  it('ends a truncated stream with finish_reason length', async () => {
    await withMockProvider({ name: 'alpha' }, async (mock) => {
      const chunks = [];
      for await (const chunk of await client(mock).chat.completions.create({
        ...ask,
        stream: true,
        max_tokens: 2,
      })) {
        chunks.push(chunk);
      }
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello fr');
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
    });
  });

  it('makes the SDK throw when the stream is cut, never end cleanly', async () => {
    await withMockProvider({ behaviour: { streamChunks: 5, cutStreamAfterChunks: 3 } }, async (mock) => {
      const received: unknown[] = [];
      const consume = async (): Promise<void> => {
        for await (const chunk of await client(mock).chat.completions.create({ ...ask, stream: true })) {
          received.push(chunk);
        }
      };
      await expect(consume()).rejects.toThrow();
      expect(received).toHaveLength(3);
      expect(mock.stats).toMatchObject({
        streamsCut: 1,
        streamsCompleted: 0,
        clientAborts: 0,
        sseEventsWritten: 3,
      });
    });
  });

  it('records a client that stops reading mid-stream and stops writing to it', async () => {
    await withMockProvider({ behaviour: { streamChunks: 50, chunkIntervalMs: 20 } }, async (mock) => {
      let received = 0;
      for await (const _chunk of await client(mock).chat.completions.create({ ...ask, stream: true })) {
        received += 1;
        if (received === 2) break;
      }
      await eventually(() => mock.stats.clientAborts === 1);
      const written = mock.stats.sseEventsWritten;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(mock.stats.sseEventsWritten).toBe(written);
      expect(written).toBeLessThan(10);
      expect(mock.stats.streamsCompleted).toBe(0);
      expect(mock.stats.inFlight).toBe(0);
    });
  });
});

describe('OpenAI dialect: embeddings and models through the official SDK', () => {
  it('returns deterministic unit vectors, the same as floats and as base64', async () => {
    await withMockProvider({}, async (mock) => {
      const sdk = client(mock);
      const input = ['first text', 'second text'];
      const decoded = await sdk.embeddings.create({ model: 'text-embedding-3-small', input });
      const floats = await sdk.embeddings.create({
        model: 'text-embedding-3-small',
        input,
        encoding_format: 'float',
      });
      expect(decoded).toMatchObject({ object: 'list', model: 'text-embedding-3-small' });
      expect(decoded.data.map((d) => [d.object, d.index])).toEqual([
        ['embedding', 0],
        ['embedding', 1],
      ]);
      expect(Array.from(decoded.data[0]?.embedding ?? [])).toEqual(floats.data[0]?.embedding);
      expect(floats.data[0]?.embedding).toHaveLength(1536);
      const norm = Math.hypot(...(floats.data[0]?.embedding ?? []));
      expect(norm).toBeCloseTo(1, 5);
      expect(floats.data[0]?.embedding).not.toEqual(floats.data[1]?.embedding);
      const again = await sdk.embeddings.create({
        model: 'x',
        input: 'first text',
        encoding_format: 'float',
      });
      expect(again.data[0]?.embedding).toEqual(floats.data[0]?.embedding);
      expect(floats.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    });
  });

  it('honours requested dimensions', async () => {
    await withMockProvider({}, async (mock) => {
      const result = await client(mock).embeddings.create({
        model: 'text-embedding-3-large',
        input: [[1, 2, 3]],
        dimensions: 8,
        encoding_format: 'float',
      });
      expect(result.data[0]?.embedding).toHaveLength(8);
      expect(result.usage.prompt_tokens).toBe(3);
    });
  });

  it('lists and retrieves the configured models', async () => {
    await withMockProvider({ models: ['m-one', 'm-two'] }, async (mock) => {
      const sdk = client(mock);
      const ids = [];
      for await (const model of sdk.models.list()) ids.push(model.id);
      expect(ids).toEqual(['m-one', 'm-two']);
      expect(await sdk.models.retrieve('m-two')).toMatchObject({
        id: 'm-two',
        object: 'model',
        owned_by: 'system',
      });
      const missing = await rejectionOf(sdk.models.retrieve('m-three'));
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(missing).toMatchObject({ code: 'model_not_found' });
    });
  });
});

describe('OpenAI dialect: failures the SDK sees', () => {
  it('answers 401 invalid_api_key to a wrong key', async () => {
    await withMockProvider({ apiKey: API_KEY }, async (mock) => {
      const sdk = new OpenAI({ baseURL: mock.url, apiKey: 'sk-wrong-key-000000', maxRetries: 0 });
      const error = await rejectionOf(sdk.chat.completions.create(ask));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({
        status: 401,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        param: null,
      });
      expect((error as Error).message).toContain('sk-**');
      expect((error as Error).message).not.toContain('sk-wrong-key-000000');
    });
  });

  it('answers 429 rate_limit_exceeded with retry-after headers', async () => {
    await withMockProvider({ behaviour: { rateLimitRate: 1, retryAfterS: 2.5 } }, async (mock) => {
      const error = await rejectionOf(client(mock).chat.completions.create(ask));
      expect(error).toBeInstanceOf(RateLimitError);
      const limited = error as RateLimitError;
      expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
      expect(limited.headers.get('retry-after')).toBe('3');
      expect(limited.headers.get('retry-after-ms')).toBe('2500');
      expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(limited.headers.get('x-ratelimit-reset-requests')).toBe('2.5s');
      expect(mock.stats.byStatus).toEqual({ 429: 1 });
    });
  });

  it('answers 429 insufficient_quota in quota mode', async () => {
    await withMockProvider({ behaviour: { insufficientQuota: true } }, async (mock) => {
      const error = await rejectionOf(client(mock).chat.completions.create(ask));
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    });
  });

  it('answers 500 server_error at an error rate of one', async () => {
    await withMockProvider({ behaviour: { errorRate: 1 } }, async (mock) => {
      const error = await rejectionOf(client(mock).chat.completions.create(ask));
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error).toMatchObject({ status: 500, type: 'server_error' });
    });
  });

  it('refuses requests once an enforced per-minute limit is used up', async () => {
    await withMockProvider({ behaviour: { enforceRateLimits: true, requestsPerMinute: 2 } }, async (mock) => {
      const sdk = client(mock);
      await sdk.chat.completions.create(ask);
      await sdk.chat.completions.create(ask);
      const error = await rejectionOf(sdk.chat.completions.create(ask));
      expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
      expect(Number((error as RateLimitError).headers.get('retry-after-ms'))).toBeGreaterThan(50_000);
    });
  });

  it('lets the SDK time out on a hung request and records the abort', async () => {
    await withMockProvider({ behaviour: { hang: true } }, async (mock) => {
      const error = await rejectionOf(client(mock, { timeout: 200 }).chat.completions.create(ask));
      // Plain Node gives APIConnectionTimeoutError; under jest's VM realm the SDK cannot recognise
      // fetch's AbortError as an Error and reports its parent class.
      expect(error).toBeInstanceOf(APIConnectionError);
      expect(error).toMatchObject({ status: undefined });
      await eventually(() => mock.stats.clientAborts === 1);
      expect(mock.stats.byStatus).toEqual({});
    });
  });

  it.each([
    {
      name: 'refuses a request without a model',
      body: { messages: ask.messages },
      error: { message: 'you must provide a model parameter', param: null, code: null },
    },
    {
      name: 'refuses a request without messages',
      body: { model: 'gpt-4o-mini' },
      error: {
        message: "Missing required parameter: 'messages'.",
        param: 'messages',
        code: 'missing_required_parameter',
      },
    },
    {
      name: 'refuses an empty message list',
      body: { model: 'gpt-4o-mini', messages: [] },
      error: { param: 'messages', code: 'empty_array' },
    },
    {
      name: 'refuses an unknown role',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'x' }] },
      error: { param: 'messages[0].role', code: 'invalid_value' },
    },
    {
      name: 'refuses max_tokens below one',
      body: { ...ask, max_tokens: 0 },
      error: { param: 'max_tokens', code: 'integer_below_min_value' },
    },
    {
      name: 'refuses stream_options without stream',
      body: { ...ask, stream_options: { include_usage: true } },
      error: { param: 'stream_options' },
    },
  ])('$name with a 400 invalid_request_error', async ({ body, error }) => {
    await withMockProvider({}, async (mock) => {
      const sdk = client(mock);
      const refusal = await rejectionOf(sdk.post('/chat/completions', { body }));
      expect(refusal).toBeInstanceOf(BadRequestError);
      expect((refusal as BadRequestError).error).toMatchObject({ type: 'invalid_request_error', ...error });
    });
  });

  it('refuses an unknown model when models are strict', async () => {
    await withMockProvider({ strictModels: true, models: ['gpt-4o-mini'] }, async (mock) => {
      const error = await rejectionOf(client(mock).chat.completions.create({ ...ask, model: 'gpt-9' }));
      expect(error).toMatchObject({ status: 404, code: 'model_not_found' });
    });
  });
});

describe('OpenAI dialect: vLLM’s continue_final_message', () => {
  const REPLY = 'The quick brown fox jumps over the lazy dog.';
  const continuing = {
    ...ask,
    messages: [...ask.messages, { role: 'assistant' as const, content: 'The quick brown ' }],
  };
  /** The SDK sends fields it does not know as they are (vLLM's extra body fields). */
  const extra = (fields: Record<string, unknown>) => fields as unknown as Record<string, never>;

  it('continues the final assistant message when the server has the option', async () => {
    const options = {
      apiKey: API_KEY,
      behaviour: { replyText: REPLY, continueFinalMessage: true, streamChunks: 3 },
    };
    await withMockProvider(options, async (mock) => {
      const fields = extra({ continue_final_message: true, add_generation_prompt: false });
      const completion = await client(mock).chat.completions.create({ ...continuing, ...fields });
      expect(completion.choices[0]?.message.content).toBe('fox jumps over the lazy dog.');
      const stream = await client(mock).chat.completions.create({ ...continuing, ...fields, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('fox jumps over the lazy dog.');
    });
  });

  it.each([
    {
      name: 'refuses the option as an unrecognized argument when the server does not have it (as OpenAI does)',
      continueFinalMessage: false,
      fields: { continue_final_message: true, add_generation_prompt: false },
      message: 'Unrecognized request argument supplied: continue_final_message',
    },
    {
      name: 'refuses continue_final_message with the generation prompt on, as vLLM does',
      continueFinalMessage: true,
      fields: { continue_final_message: true },
      message: 'Cannot set both `continue_final_message` and `add_generation_prompt` to True.',
    },
  ])('$name', async ({ continueFinalMessage, fields, message }) => {
    await withMockProvider({ apiKey: API_KEY, behaviour: { continueFinalMessage } }, async (mock) => {
      const error = await rejectionOf(
        client(mock).chat.completions.create({ ...continuing, ...extra(fields) }),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(message);
    });
  });
});
