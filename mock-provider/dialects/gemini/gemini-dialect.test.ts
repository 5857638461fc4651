import { describe, expect, it } from '@jest/globals';
import type { MockProvider } from '../../server.ts';
import { withMockProvider } from '../../test-support.ts';

const KEY = 'AIzaSyMOCK-0123456789';
const MODEL = 'gemini-2.5-flash';
const ASK = { contents: [{ role: 'user', parts: [{ text: 'What is a load balancer?' }] }] };
const WEATHER = {
  name: 'get_weather',
  description: 'Weather in a city',
  parametersJsonSchema: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } },
    required: ['city'],
  },
};

/** Reads a value of a JSON answer by its path of keys and indices. */
function get(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    node =
      typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[key] : undefined;
  }
  return node;
}
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const parseJson = (raw: string): unknown => JSON.parse(raw) as unknown;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function call(
  mock: MockProvider,
  method: string,
  body: unknown,
  options: { model?: string; query?: string; key?: string | null; version?: string; raw?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.key !== null) headers['x-goog-api-key'] = options.key ?? KEY;
  const url = `${mock.url}/${options.version ?? 'v1beta'}/models/${options.model ?? MODEL}:${method}${options.query ?? ''}`;
  const res = await fetch(url, { method: 'POST', headers, body: options.raw ?? JSON.stringify(body) });
  const raw = await res.text();
  let json: unknown;
  try {
    json = parseJson(raw);
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, text: raw, json };
}

function mock<T>(body: (m: MockProvider) => Promise<T>, options: Record<string, unknown> = {}): Promise<T> {
  return withMockProvider({ dialect: 'gemini', name: 'gem', apiKey: KEY, seed: 1, ...options }, body);
}

describe('Gemini dialect: generateContent', () => {
  it('answers with a candidate naming the provider, its finish reason and usage', async () => {
    await mock(async (m) => {
      const a = await call(m, 'generateContent', ASK);
      expect(a.status).toBe(200);
      expect(a.json).toMatchObject({
        candidates: [
          {
            content: {
              parts: [{ text: 'Hello from gem. You said: What is a load balancer?' }],
              role: 'model',
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        modelVersion: MODEL,
      });
      const usage = (key: string) => Number(get(a.json, 'usageMetadata', key));
      expect(usage('totalTokenCount')).toBe(usage('promptTokenCount') + usage('candidatesTokenCount'));
      expect(a.headers.get('x-ratelimit-limit-requests')).toBeNull();
      expect(a.headers.get('retry-after')).toBeNull();
    });
  });

  it('takes the key from the key query parameter too', async () => {
    await mock(async (m) => {
      expect((await call(m, 'generateContent', ASK, { key: null, query: `?key=${KEY}` })).status).toBe(200);
    });
  });

  it('answers candidateCount candidates, cut at a stop sequence or at maxOutputTokens', async () => {
    await mock(async (m) => {
      const stopped = await call(m, 'generateContent', {
        ...ASK,
        generationConfig: { candidateCount: 2, stopSequences: ['You said'] },
      });
      expect(list(get(stopped.json, 'candidates')).map((c) => get(c, 'index'))).toEqual([0, 1]);
      expect(get(stopped.json, 'candidates', 1, 'content', 'parts', 0, 'text')).toBe('Hello from gem. ');
      const short = await call(m, 'generateContent', { ...ASK, generation_config: { max_output_tokens: 2 } });
      expect(get(short.json, 'candidates', 0)).toMatchObject({ finishReason: 'MAX_TOKENS' });
      expect(get(short.json, 'candidates', 0, 'content', 'parts', 0, 'text')).toHaveLength(8);
    });
  });

  it('answers JSON that fits the response schema in JSON mode', async () => {
    await mock(async (m) => {
      const schema = {
        type: 'object',
        properties: { answer: { type: 'string' }, sure: { type: 'boolean' } },
      };
      const a = await call(m, 'generateContent', {
        ...ASK,
        generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema },
      });
      const parsed = parseJson(String(get(a.json, 'candidates', 0, 'content', 'parts', 0, 'text')));
      expect(parsed).toEqual({ answer: expect.stringContaining('gem'), sure: true });
      const plain = await call(m, 'generateContent', {
        ...ASK,
        generationConfig: { responseMimeType: 'application/json' },
      });
      expect(
        parseJson(String(get(plain.json, 'candidates', 0, 'content', 'parts', 0, 'text'))),
      ).toHaveProperty('reply');
    });
  });
});

describe('Gemini dialect: function calling', () => {
  const tools = [{ functionDeclarations: [WEATHER, { name: 'get_time' }] }];

  it('calls a function in ANY mode with arguments that fit its schema', async () => {
    await mock(async (m) => {
      const a = await call(m, 'generateContent', {
        ...ASK,
        tools,
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      });
      expect(get(a.json, 'candidates', 0)).toMatchObject({
        content: {
          parts: [{ functionCall: { name: 'get_weather', args: { city: 'mock', days: 1 } } }],
          role: 'model',
        },
        finishReason: 'STOP',
      });
      expect(get(a.json, 'candidates', 0, 'content', 'parts', 0, 'thoughtSignature')).toBeUndefined();
    });
  });

  it('calls in AUTO mode only a function the prompt names, and never in NONE mode', async () => {
    await mock(async (m) => {
      const named = { contents: [{ role: 'user', parts: [{ text: 'Use get_time please' }] }], tools };
      const auto = await call(m, 'generateContent', named);
      expect(get(auto.json, 'candidates', 0, 'content', 'parts', 0, 'functionCall', 'name')).toBe('get_time');
      const plain = await call(m, 'generateContent', { ...ASK, tools });
      expect(get(plain.json, 'candidates', 0, 'content', 'parts', 0, 'text')).toBeDefined();
      const none = await call(m, 'generateContent', {
        ...named,
        toolConfig: { functionCallingConfig: { mode: 'NONE' } },
      });
      expect(get(none.json, 'candidates', 0, 'content', 'parts', 0, 'text')).toBeDefined();
    });
  });

  it('answers function responses with a text naming what each returned', async () => {
    await mock(async (m) => {
      const a = await call(m, 'generateContent', {
        contents: [
          ASK.contents[0],
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { celsius: 21 } } }] },
        ],
        tools,
      });
      expect(get(a.json, 'candidates', 0, 'content', 'parts', 0, 'text')).toBe(
        'Hello from gem. get_weather returned {"celsius":21}.',
      );
    });
  });

  it('signs function calls of Gemini 3 models and refuses their replay without the signature', async () => {
    await mock(async (m) => {
      const first = await call(
        m,
        'generateContent',
        { ...ASK, tools, toolConfig: { functionCallingConfig: { mode: 'ANY' } } },
        { model: 'gemini-3-pro-preview' },
      );
      const part = get(first.json, 'candidates', 0, 'content', 'parts', 0);
      expect(get(part, 'thoughtSignature')).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const replay = (signature: object) =>
        call(
          m,
          'generateContent',
          {
            contents: [
              ASK.contents[0],
              { role: 'model', parts: [{ functionCall: get(part, 'functionCall'), ...signature }] },
              {
                role: 'user',
                parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }],
              },
            ],
            tools,
          },
          { model: 'gemini-3-pro-preview' },
        );
      const unsigned = await replay({});
      expect(unsigned.status).toBe(400);
      expect(get(unsigned.json, 'error', 'message')).toContain('missing a thought_signature');
      expect((await replay({ thoughtSignature: get(part, 'thoughtSignature') })).status).toBe(200);
      expect((await replay({ thoughtSignature: 'skip_thought_signature_validator' })).status).toBe(200);
    });
  });
});

describe('Gemini dialect: streamGenerateContent', () => {
  it('streams CRLF-framed data events of GenerateContentResponse chunks, the last with the finish reason, and no end marker', async () => {
    await mock(
      async (m) => {
        const a = await call(m, 'streamGenerateContent', ASK, { query: '?alt=sse' });
        expect(a.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const events = a.text.split('\r\n\r\n').filter((e) => e !== '');
        expect(events).toHaveLength(4);
        expect(events.every((e) => e.startsWith('data: '))).toBe(true);
        expect(a.text).not.toContain('[DONE]');
        const chunks = events.map((e) => parseJson(e.slice(6)));
        expect(chunks.map((c) => get(c, 'candidates', 0, 'content', 'parts', 0, 'text')).join('')).toBe(
          'Hello from gem. You said: What is a load balancer?',
        );
        expect(chunks.map((c) => get(c, 'candidates', 0, 'finishReason'))).toEqual([
          undefined,
          undefined,
          undefined,
          'STOP',
        ]);
        const usage = (key: string) => Number(get(chunks.at(-1), 'usageMetadata', key));
        expect(usage('totalTokenCount')).toBe(usage('promptTokenCount') + usage('candidatesTokenCount'));
      },
      { behaviour: { streamChunks: 4 } },
    );
  });

  it('answers the chunks as one JSON array without alt=sse', async () => {
    await mock(async (m) => {
      const a = await call(m, 'streamGenerateContent', ASK);
      expect(a.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Array.isArray(a.json)).toBe(true);
      expect(get(list(a.json).at(-1), 'candidates', 0, 'finishReason')).toBe('STOP');
    });
  });

  it('streams a function call whole in one chunk', async () => {
    await mock(async (m) => {
      const a = await call(
        m,
        'streamGenerateContent',
        {
          ...ASK,
          tools: [{ functionDeclarations: [WEATHER] }],
          toolConfig: { functionCallingConfig: { mode: 'ANY' } },
        },
        { query: '?alt=sse' },
      );
      const events = a.text.split('\r\n\r\n').filter((e) => e !== '');
      expect(events).toHaveLength(1);
      expect(JSON.parse(events[0]?.slice(6) ?? '')).toMatchObject({
        candidates: [
          { content: { parts: [{ functionCall: { name: 'get_weather' } }] }, finishReason: 'STOP' },
        ],
      });
    });
  });
});

describe('Gemini dialect: what the API refuses', () => {
  const refusals: [string, unknown, number, string][] = [
    [
      'empty contents',
      { contents: [] },
      400,
      '* GenerateContentRequest.contents: contents is not specified\n',
    ],
    [
      'an OpenAI body',
      { model: MODEL, messages: [{ role: 'user', content: 'hi' }] },
      400,
      'Invalid JSON payload received. Unknown name "messages": Cannot find field.',
    ],
    [
      'an unknown generation setting',
      { ...ASK, generationConfig: { max_tokens: 5 } },
      400,
      `Unknown name "max_tokens" at 'generation_config': Cannot find field.`,
    ],
    [
      'a wrong role',
      { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] },
      400,
      'Please use a valid role: user, model.',
    ],
    [
      'a content without parts',
      { contents: [{ role: 'user', parts: [] }] },
      400,
      'contents.parts must not be empty.',
    ],
    [
      'a part without data',
      { contents: [{ role: 'user', parts: [{}] }] },
      400,
      "required oneof field 'data'",
    ],
    [
      'a temperature that is not a number',
      { ...ASK, generationConfig: { temperature: 'hot' } },
      400,
      `Invalid value at 'generation_config.temperature' (TYPE_FLOAT), "hot"`,
    ],
    [
      'a temperature out of range',
      { ...ASK, generationConfig: { temperature: 3 } },
      400,
      'temperature must be in the range',
    ],
    [
      'more than eight candidates',
      { ...ASK, generationConfig: { candidateCount: 9 } },
      400,
      'candidate_count',
    ],
    [
      'a response schema without JSON',
      { ...ASK, generationConfig: { responseJsonSchema: { type: 'object' } } },
      400,
      'response_mime_type',
    ],
    [
      'base64 that is not base64',
      {
        contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: 'not base64!' } }] }],
      },
      400,
      'Base64 decoding failed',
    ],
    [
      'an invalid function name',
      { ...ASK, tools: [{ functionDeclarations: [{ name: 'get weather' }] }] },
      400,
      'Invalid function name',
    ],
    [
      'function names allowed in AUTO mode',
      {
        ...ASK,
        tools: [{ functionDeclarations: [WEATHER] }],
        toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['get_weather'] } },
      },
      400,
      'allowed_function_names',
    ],
    [
      'an unknown function-calling mode',
      {
        ...ASK,
        tools: [{ functionDeclarations: [WEATHER] }],
        toolConfig: { functionCallingConfig: { mode: 'SOMETIMES' } },
      },
      400,
      "Invalid value at 'tool_config.function_calling_config.mode'",
    ],
    [
      'two function calls answered by one response',
      {
        contents: [
          ASK.contents[0],
          {
            role: 'model',
            parts: [{ functionCall: { name: 'a', args: {} } }, { functionCall: { name: 'b', args: {} } }],
          },
          { role: 'user', parts: [{ functionResponse: { name: 'a', response: {} } }] },
        ],
      },
      400,
      'number of function response parts is equal to the number of function call parts',
    ],
  ];
  it.each(refusals)('refuses %s', async (_name, body, status, message) => {
    await mock(async (m) => {
      const a = await call(m, 'generateContent', body);
      expect(a.status).toBe(status);
      expect(get(a.json, 'error')).toMatchObject({ code: status, status: 'INVALID_ARGUMENT' });
      expect(get(a.json, 'error', 'message')).toContain(message);
    });
  });

  it('refuses malformed JSON as the API does', async () => {
    await mock(async (m) => {
      const a = await call(m, 'generateContent', undefined, { raw: '{"contents": [' });
      expect(a.status).toBe(400);
      expect(get(a.json, 'error', 'message')).toContain('Invalid JSON payload received');
      expect(get(a.json, 'error', 'details', 0, '@type')).toBe('type.googleapis.com/google.rpc.BadRequest');
    });
  });

  it('refuses a wrong key with 400 API_KEY_INVALID and a missing key with 403 PERMISSION_DENIED', async () => {
    await mock(async (m) => {
      const wrong = await call(m, 'generateContent', ASK, { key: 'AIzaWRONG' });
      expect(wrong.status).toBe(400);
      expect(get(wrong.json, 'error')).toMatchObject({
        status: 'INVALID_ARGUMENT',
        message: 'API key not valid. Please pass a valid API key.',
      });
      expect(get(wrong.json, 'error', 'details', 0)).toMatchObject({
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
      });
      const missing = await call(m, 'generateContent', ASK, { key: null });
      expect(missing.status).toBe(403);
      expect(get(missing.json, 'error', 'status')).toBe('PERMISSION_DENIED');
    });
  });

  it('refuses an unknown model when strict, an unknown API version always', async () => {
    await mock(
      async (m) => {
        const model = await call(m, 'generateContent', ASK, { model: 'gemini-0' });
        expect(model.status).toBe(404);
        expect(get(model.json, 'error', 'message')).toContain(
          'models/gemini-0 is not found for API version v1beta',
        );
        expect((await call(m, 'generateContent', ASK, { version: 'v2' })).status).toBe(404);
        expect((await call(m, 'generateContent', ASK, { version: 'v1' })).status).toBe(200);
      },
      { strictModels: true, models: [MODEL] },
    );
  });
});

describe('Gemini dialect: injected failures in Google’s words', () => {
  it('answers a rate limit 429 RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo, and no Retry-After header', async () => {
    await mock(
      async (m) => {
        const a = await call(m, 'generateContent', ASK);
        expect(a.status).toBe(429);
        expect(a.headers.get('retry-after')).toBeNull();
        expect(get(a.json, 'error', 'status')).toBe('RESOURCE_EXHAUSTED');
        const types = list(get(a.json, 'error', 'details')).map((d) => get(d, '@type'));
        expect(types).toEqual([
          'type.googleapis.com/google.rpc.QuotaFailure',
          'type.googleapis.com/google.rpc.Help',
          'type.googleapis.com/google.rpc.RetryInfo',
        ]);
        expect(get(a.json, 'error', 'details', 0, 'violations', 0, 'quotaId')).toContain('PerMinute');
        expect(get(a.json, 'error', 'details', 2, 'retryDelay')).toBe('2.5s');
      },
      { behaviour: { rateLimitRate: 1, retryAfterS: 2.5 } },
    );
  });

  it('answers a used-up quota with a per-day QuotaFailure', async () => {
    await mock(
      async (m) => {
        const a = await call(m, 'generateContent', ASK);
        expect(a.status).toBe(429);
        expect(get(a.json, 'error', 'details', 0, 'violations', 0, 'quotaId')).toContain('PerDay');
      },
      { behaviour: { insufficientQuota: true } },
    );
  });

  it('answers a server error 500 INTERNAL', async () => {
    await mock(
      async (m) => {
        const a = await call(m, 'generateContent', ASK);
        expect(a.status).toBe(500);
        expect(get(a.json, 'error')).toMatchObject({ code: 500, status: 'INTERNAL' });
      },
      { behaviour: { errorRate: 1 } },
    );
  });
});

describe('Gemini dialect: embeddings and models', () => {
  it('embeds one content, and a batch in order, with the dimensions asked for', async () => {
    await mock(async (m) => {
      const one = await call(
        m,
        'embedContent',
        { content: { parts: [{ text: 'hello' }] }, outputDimensionality: 8 },
        { model: 'gemini-embedding-001' },
      );
      expect(get(one.json, 'embedding', 'values')).toHaveLength(8);
      const batch = await call(
        m,
        'batchEmbedContents',
        {
          requests: ['hello', 'world'].map((text) => ({
            model: 'models/gemini-embedding-001',
            content: { parts: [{ text }] },
          })),
        },
        { model: 'gemini-embedding-001' },
      );
      expect(get(batch.json, 'embeddings')).toHaveLength(2);
      expect(get(batch.json, 'embeddings', 0, 'values')).toHaveLength(3072);
      const single = await call(
        m,
        'embedContent',
        { content: { parts: [{ text: 'hello' }] } },
        { model: 'gemini-embedding-001' },
      );
      expect(get(batch.json, 'embeddings', 0, 'values')).toEqual(get(single.json, 'embedding', 'values'));
    });
  });

  it("refuses a batch whose requests name another model than the batch's", async () => {
    await mock(async (m) => {
      const a = await call(
        m,
        'batchEmbedContents',
        { requests: [{ model: 'models/other', content: { parts: [{ text: 'x' }] } }] },
        { model: 'gemini-embedding-001' },
      );
      expect(a.status).toBe(400);
      expect(get(a.json, 'error', 'message')).toContain('requests[0].model');
    });
  });

  it('lists its models as Model resources', async () => {
    await mock(
      async (m) => {
        const res = await fetch(`${m.url}/v1beta/models`, { headers: { 'x-goog-api-key': KEY } });
        const body = (await res.json()) as {
          models: { name: string; supportedGenerationMethods: string[] }[];
        };
        expect(body.models.map((x) => x.name)).toEqual([`models/${MODEL}`, 'models/gemini-embedding-001']);
        expect(body.models[1]?.supportedGenerationMethods).toContain('batchEmbedContents');
      },
      { models: [MODEL, 'gemini-embedding-001'] },
    );
  });
});
