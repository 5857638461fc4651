/**
 * The Gemini dialect end to end: the official OpenAI SDK → the sidecar → mock Gemini API providers (and an
 * OpenAI mock where a test needs another target).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { APIError, BadRequestError, RateLimitError } from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import {
  CHAT,
  metricsText,
  poolSpec,
  startHarness,
  type Harness,
  type MockSpec,
} from '../support/sidecar-harness.ts';

const GEMINI_KEY = 'AIzaSyGEMINI-mock-0123456789';
const WEATHER_TOOL: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

interface GeminiSpec {
  readonly name: string;
  readonly behaviour?: Partial<MockBehaviour>;
  /** The key the pool sends; the mock wants GEMINI_KEY. */
  readonly poolKey?: string;
  readonly weight?: number;
}

interface GeminiHarness {
  readonly h: Harness;
  readonly gemini: Record<string, MockProvider>;
  close(): Promise<void>;
}

/** Gemini mocks plus the usual harness (OpenAI mocks, sidecar, SDK client), all in one pool. */
async function startGeminiHarness(
  geminiSpecs: readonly GeminiSpec[],
  openaiSpecs: readonly MockSpec[] = [],
  spec: Record<string, unknown> = {},
): Promise<GeminiHarness> {
  const gemini: Record<string, MockProvider> = {};
  const env: Record<string, string> = {};
  for (const [i, g] of geminiSpecs.entries()) {
    gemini[g.name] = await startMockProvider({
      dialect: 'gemini',
      name: g.name,
      apiKey: GEMINI_KEY,
      seed: 100 + i,
      ...(g.behaviour && { behaviour: g.behaviour }),
    });
    env[`KEY_${i}`] = g.poolKey ?? GEMINI_KEY;
  }
  const h = await startHarness(
    openaiSpecs,
    (mocks) => ({
      retry: { attempts: 2 },
      ...spec,
      providers: [
        ...geminiSpecs.map((g, i) => ({
          name: g.name,
          type: 'gemini',
          baseURL: gemini[g.name]?.url,
          apiKey: { env: `KEY_${i}` },
          weight: g.weight ?? 1,
          models: [
            {
              name: 'chat',
              model: 'gemini-2.5-flash',
              pricing: { inputPerMillionTokens: 0.3, outputPerMillionTokens: 2.5 },
            },
            { name: 'chat3', model: 'gemini-3-pro-preview' },
            { name: 'embed', model: 'gemini-embedding-001' },
          ],
        })),
        ...(poolSpec(mocks).providers as object[]),
      ],
    }),
    { secrets: { env } },
  );
  return {
    h,
    gemini,
    async close() {
      await h.close();
      await Promise.all(Object.values(gemini).map((m) => m.close()));
    },
  };
}

function lastBody(mock: MockProvider | undefined): Record<string, unknown> {
  return mock?.stats.lastRequest?.body as Record<string, unknown>;
}

describe('the Gemini dialect through the sidecar', () => {
  let g: GeminiHarness;
  afterEach(() => g.close());

  it('answers a chat completion from Gemini, translating the request and the answer', async () => {
    g = await startGeminiHarness([{ name: 'gem' }]);
    const { data, response } = await g.h.client.chat.completions
      .create({
        model: 'chat',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello.' },
        ],
        temperature: 0.3,
        max_completion_tokens: 200,
      })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('gem');
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gemini-2.5-flash');
    expect(data.choices[0]?.message.content).toBe('Hello from gem. You said: Say hello.');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    );
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);

    const last = g.gemini.gem?.stats.lastRequest;
    expect(last?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(last?.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(last?.headers.authorization).toBeUndefined();
    expect(last?.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 0.3, maxOutputTokens: 200 },
    });
  });

  it('streams text chunk by chunk, ends cleanly, and passes usage on when asked', async () => {
    g = await startGeminiHarness([{ name: 'gem', behaviour: { streamChunks: 5 } }]);
    const stream = await g.h.client.chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let finish: string | null | undefined;
    const usages = [];
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(text).toBe('Hello from gem. You said: Say hello.');
    expect(chunks).toBeGreaterThanOrEqual(7); // role, five pieces, finish, usage
    expect(finish).toBe('stop');
    expect(usages).toHaveLength(1);
    expect(usages[0]?.completion_tokens).toBeGreaterThan(0);
    expect(g.gemini.gem?.stats.lastRequest?.path).toBe(
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
    );
    expect(g.gemini.gem?.stats.streamsCompleted).toBe(1);
  });

  it('streams a tool call as a tool-call delta with an index, an id, the name and the arguments', async () => {
    g = await startGeminiHarness([{ name: 'gem' }]);
    const stream = await g.h.client.chat.completions.create({
      ...CHAT,
      tools: [WEATHER_TOOL],
      tool_choice: 'required',
      stream: true,
    });
    const deltas = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas).toEqual([
      {
        index: 0,
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"mock"}' },
      },
    ]);
    expect(finish).toBe('tool_calls');
    expect(lastBody(g.gemini.gem).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
  });

  it('completes a tools round trip, replaying the call (signed for Gemini 3) and its result', async () => {
    g = await startGeminiHarness([{ name: 'gem' }]);
    const messages: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const first = await g.h.client.chat.completions.create({
      model: 'chat3',
      messages,
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    messages.push(first.choices[0]?.message as ChatCompletionMessageParam, {
      role: 'tool',
      tool_call_id: call?.id ?? '',
      content: '{"celsius":21}',
    });

    const second = await g.h.client.chat.completions.create({
      model: 'chat3',
      messages,
      tools: [WEATHER_TOOL],
    });
    expect(second.choices[0]?.message.content).toBe('Hello from gem. get_weather returned {"celsius":21}.');
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(lastBody(g.gemini.gem).contents).toEqual([
      { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] },
      {
        role: 'model',
        parts: [
          {
            functionCall: { name: 'get_weather', args: { city: 'mock' } },
            thoughtSignature: 'skip_thought_signature_validator',
          },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { celsius: 21 } } }] },
    ]);
  });

  it('answers in JSON mode, and with a JSON schema handed over as it is', async () => {
    g = await startGeminiHarness([{ name: 'gem' }]);
    const plain = await g.h.client.chat.completions.create({
      ...CHAT,
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(plain.choices[0]?.message.content ?? '')).toEqual({
      reply: 'Hello from gem. You said: Say hello.',
    });
    const schema = {
      type: 'object',
      properties: { greeting: { type: 'string' }, count: { type: 'integer' } },
      required: ['greeting', 'count'],
      additionalProperties: false,
    };
    const shaped = await g.h.client.chat.completions.create({
      ...CHAT,
      response_format: { type: 'json_schema', json_schema: { name: 'greeting', strict: true, schema } },
    });
    expect(JSON.parse(shaped.choices[0]?.message.content ?? '')).toEqual({
      greeting: expect.stringContaining('gem'),
      count: 1,
    });
    expect(lastBody(g.gemini.gem).generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    });
  });

  it('answers 400 naming the reason when a request needs what Gemini lacks and no other target can serve it', async () => {
    g = await startGeminiHarness([{ name: 'gem' }]);
    const err = await g.h.client.chat.completions
      .create({ ...CHAT, logprobs: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain(
      'gem: logprobs are not supported by the gemini dialect',
    );
    expect(g.gemini.gem?.stats.requests).toBe(0);
  });

  it('sends such a request to a target that can serve it', async () => {
    g = await startGeminiHarness([{ name: 'gem', weight: 1000 }], [{ name: 'oai' }]);
    const image = { type: 'image_url' as const, image_url: { url: 'https://example.com/cat.png' } };
    const { response } = await g.h.client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: [image] }] })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('oai');
    expect(g.gemini.gem?.stats.requests).toBe(0);
  });

  it('cools a provider down for the RetryInfo delay of its RESOURCE_EXHAUSTED answer and fails over', async () => {
    g = await startGeminiHarness(
      [{ name: 'gem', weight: 1000, behaviour: { rateLimitRate: 1, retryAfterS: 30 } }],
      [{ name: 'oai' }],
    );
    const served = [];
    for (let i = 0; i < 4; i++) {
      const { response } = await g.h.client.chat.completions.create(CHAT).withResponse();
      served.push([
        response.headers.get('x-switchboard-provider'),
        response.headers.get('x-switchboard-attempts'),
      ]);
    }
    // The first request met the 429 and was retried on "oai"; the cooling provider is not tried again.
    expect(served).toEqual([
      ['oai', '2'],
      ['oai', '1'],
      ['oai', '1'],
      ['oai', '1'],
    ]);
    expect(g.gemini.gem?.stats.byStatus[429]).toBe(1);
    expect(g.gemini.gem?.stats.requests).toBe(1);
  });

  it('passes the 429 on with the RetryInfo delay as Retry-After when no other provider can serve, and again for the next request (panic routing, one attempt)', async () => {
    g = await startGeminiHarness([{ name: 'gem', behaviour: { rateLimitRate: 1, retryAfterS: 30 } }]);
    const err = await g.h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).headers?.get('retry-after')).toBe('30');
    expect((err as RateLimitError).message).toContain('You exceeded your current quota');
    const again = await g.h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect((again as APIError).status).toBe(429);
    expect(Number((again as APIError).headers?.get('retry-after'))).toBeGreaterThan(25);
    expect(g.gemini.gem?.stats.requests).toBe(2);
  });

  it('treats a key Gemini calls invalid (400 API_KEY_INVALID) as the pool’s fault: 502, and another provider serves', async () => {
    g = await startGeminiHarness([{ name: 'gem', poolKey: 'AIzaSyREVOKED-key-000' }]);
    const err = await g.h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect((err as APIError).status).toBe(502);
    expect((err as APIError).message).toContain("refused the pool's credentials (INVALID_ARGUMENT)");
    await g.close();

    g = await startGeminiHarness(
      [{ name: 'gem', poolKey: 'AIzaSyREVOKED-key-000', weight: 1000 }],
      [{ name: 'oai' }],
    );
    const { response } = await g.h.client.chat.completions.create(CHAT).withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('oai');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
  });

  it('reports a stream cut before its finish reason as an error, never a clean end', async () => {
    g = await startGeminiHarness([{ name: 'gem', behaviour: { streamChunks: 6, cutStreamAfterChunks: 3 } }]);
    const stream = await g.h.client.chat.completions.create({ ...CHAT, stream: true });
    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(consume()).rejects.toThrow(/ended before it was complete/);
    expect(text.length).toBeGreaterThan(0);
  });

  it('creates embeddings through batchEmbedContents', async () => {
    g = await startGeminiHarness([{ name: 'gem' }]);
    const res = await g.h.client.embeddings.create({ model: 'embed', input: ['one', 'two'], dimensions: 16 });
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.data[0]?.embedding).toHaveLength(16);
    expect(res.data[0]?.embedding).not.toEqual(res.data[1]?.embedding);
    expect(g.gemini.gem?.stats.lastRequest?.path).toBe(
      '/v1beta/models/gemini-embedding-001:batchEmbedContents',
    );
    const floats = await g.h.client.embeddings.create({
      model: 'embed',
      input: 'one',
      dimensions: 16,
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toEqual(res.data[0]?.embedding);
  });

  it('counts the tokens Gemini reports in /metrics', async () => {
    g = await startGeminiHarness([{ name: 'gem' }]);
    const answer = await g.h.client.chat.completions.create(CHAT);
    const stream = await g.h.client.chat.completions.create({ ...CHAT, stream: true });
    for await (const chunk of stream) void chunk;
    const text = await metricsText(g.h.sidecar);
    const count = (direction: string) =>
      Number(
        new RegExp(
          `switchboard_tokens_total\\{provider="gem",model="chat",direction="${direction}"\\} (\\d+)`,
        ).exec(text)?.[1],
      );
    expect(count('input')).toBe(2 * (answer.usage?.prompt_tokens ?? 0));
    expect(count('output')).toBe(2 * (answer.usage?.completion_tokens ?? 0));
    expect(text).toMatch(/switchboard_cost_usd_total\{provider="gem",model="chat"\} [0-9.e-]+/);
  });
});
