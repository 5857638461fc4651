import { describe, expect, it } from '@jest/globals';
import { AuthenticationError, AzureOpenAI, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import type { MockProvider } from '../../server.ts';
import { rejectionOf, withMockProvider } from '../../test-support.ts';
import { BLOCK_COMPLETION_MARKER, BLOCK_PROMPT_MARKER } from './content-filter.ts';

const API_KEY = 'azure-key-0123456789abcdef';
const API_VERSION = '2024-10-21';

/** The OpenAI SDK's own Azure client: the mock must satisfy it as Azure does. */
function client(mock: MockProvider, options: { apiVersion?: string; apiKey?: string } = {}): AzureOpenAI {
  return new AzureOpenAI({
    endpoint: mock.origin,
    apiKey: options.apiKey ?? API_KEY,
    apiVersion: options.apiVersion ?? API_VERSION,
    maxRetries: 0,
  });
}

const ask = { model: 'chat-deployment', messages: [{ role: 'user' as const, content: 'Hello there' }] };

async function post(
  mock: MockProvider,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${mock.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': API_KEY },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('Azure OpenAI mock: deployments through the AzureOpenAI SDK client', () => {
  it('answers a chat completion on the deployment, annotated with content-filter results', async () => {
    await withMockProvider({ name: 'east', dialect: 'azure-openai', apiKey: API_KEY }, async (mock) => {
      const { data, response } = await client(mock).chat.completions.create(ask).withResponse();
      expect(data).toMatchObject({
        object: 'chat.completion',
        model: 'chat-deployment',
        choices: [
          {
            message: { role: 'assistant', content: 'Hello from east. You said: Hello there' },
            finish_reason: 'stop',
            content_filter_results: { violence: { filtered: false, severity: 'safe' } },
          },
        ],
        prompt_filter_results: [
          { prompt_index: 0, content_filter_results: { jailbreak: { detected: false } } },
        ],
      });
      expect(response.headers.get('apim-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
      expect(response.headers.get('x-ratelimit-remaining-requests')).not.toBeNull();
      expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^\d+$/);
      expect(mock.stats.lastRequest).toMatchObject({
        path: '/openai/deployments/chat-deployment/chat/completions',
        headers: { 'api-key': API_KEY },
      });
      expect(mock.stats.lastRequest?.headers.authorization).toBeUndefined();
    });
  });

  it('streams a prompt-filter chunk first, then OpenAI chunks that add up to the reply, then usage', async () => {
    await withMockProvider(
      { name: 'east', dialect: 'azure-openai', behaviour: { streamChunks: 3 } },
      async (mock) => {
        const stream = await client(mock).chat.completions.create({
          ...ask,
          stream: true,
          stream_options: { include_usage: true },
        });
        const chunks = [];
        for await (const chunk of stream) chunks.push(chunk);
        expect(chunks[0]).toMatchObject({
          id: '',
          object: '',
          choices: [],
          prompt_filter_results: [{ prompt_index: 0 }],
        });
        const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
        expect(text).toBe('Hello from east. You said: Hello there');
        expect(chunks.at(-2)?.choices[0]).toMatchObject({
          finish_reason: 'stop',
          content_filter_results: {},
        });
        expect(chunks.at(-1)).toMatchObject({
          choices: [],
          usage: { completion_tokens: expect.any(Number) },
        });
        expect(chunks[2]?.choices[0]).toMatchObject({
          content_filter_results: { hate: { filtered: false } },
        });
      },
    );
  });

  it('creates embeddings on the embeddings deployment', async () => {
    await withMockProvider({ dialect: 'azure-openai' }, async (mock) => {
      const result = await client(mock).embeddings.create({
        model: 'text-embedding-3-small',
        input: ['one', 'two'],
        encoding_format: 'float',
      });
      expect(result.data.map((d) => d.embedding.length)).toEqual([1536, 1536]);
      expect(mock.stats.lastRequest?.path).toBe('/openai/deployments/text-embedding-3-small/embeddings');
    });
  });
});

describe('Azure OpenAI mock: what Azure refuses', () => {
  it.each([
    { name: 'no api-version', query: '' },
    { name: 'an api-version that is not one', query: '?api-version=latest-and-greatest' },
  ])('answers 404 Resource not found to a request with $name', async ({ query }) => {
    await withMockProvider({ dialect: 'azure-openai' }, async (mock) => {
      const answer = await post(mock, `/openai/deployments/chat/chat/completions${query}`, ask);
      expect(answer).toEqual({
        status: 404,
        body: { error: { code: '404', message: 'Resource not found' } },
      });
    });
  });

  it.each([
    {
      field: 'stream_options',
      apiVersion: '2024-06-01',
      extra: { stream: true, stream_options: { include_usage: true } },
    },
    { field: 'max_completion_tokens', apiVersion: '2024-08-01-preview', extra: { max_completion_tokens: 5 } },
  ])(
    'refuses $field under api-version $apiVersion, which predates it',
    async ({ field, apiVersion, extra }) => {
      await withMockProvider({ dialect: 'azure-openai' }, async (mock) => {
        const answer = await post(
          mock,
          `/openai/deployments/chat/chat/completions?api-version=${apiVersion}`,
          {
            ...ask,
            ...extra,
          },
        );
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({
          error: { message: `Unrecognized request argument supplied: ${field}` },
        });
      });
    },
  );

  it('answers 401 in Azure’s shape to a wrong key', async () => {
    await withMockProvider({ dialect: 'azure-openai', apiKey: API_KEY }, async (mock) => {
      const error = await rejectionOf(
        client(mock, { apiKey: 'wrong-key-000000000000' }).chat.completions.create(ask),
      );
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).error).toEqual({
        code: '401',
        message: expect.stringContaining('Access denied due to invalid subscription key'),
      });
    });
  });

  it('answers 429 with Azure’s message and retry-after headers', async () => {
    await withMockProvider(
      { dialect: 'azure-openai', behaviour: { rateLimitRate: 1, retryAfterS: 2.5 } },
      async (mock) => {
        const error = await rejectionOf(client(mock).chat.completions.create(ask));
        expect(error).toBeInstanceOf(RateLimitError);
        const limited = error as RateLimitError;
        expect(limited.error).toMatchObject({
          code: '429',
          message: expect.stringContaining('Please retry after 3 seconds'),
        });
        expect(limited.headers.get('retry-after')).toBe('3');
        expect(limited.headers.get('retry-after-ms')).toBe('2500');
        expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      },
    );
  });

  it('answers 404 DeploymentNotFound for an unknown deployment when models are strict', async () => {
    await withMockProvider(
      { dialect: 'azure-openai', models: ['known'], strictModels: true },
      async (mock) => {
        const error = await rejectionOf(client(mock).chat.completions.create({ ...ask, model: 'unknown' }));
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ code: 'DeploymentNotFound' });
      },
    );
  });
});

describe('Azure OpenAI mock: content filtering', () => {
  it('refuses a prompt that trips the filter with a 400 content_filter', async () => {
    await withMockProvider({ dialect: 'azure-openai' }, async (mock) => {
      const prompt = `please ${BLOCK_PROMPT_MARKER}`;
      const error = await rejectionOf(
        client(mock).chat.completions.create({ ...ask, messages: [{ role: 'user', content: prompt }] }),
      );
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ code: 'content_filter', param: 'prompt' });
      expect((error as BadRequestError).error).toMatchObject({
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: { violence: { filtered: true } },
        },
      });
    });
  });

  it('filters a completion away with finish_reason content_filter', async () => {
    await withMockProvider({ dialect: 'azure-openai' }, async (mock) => {
      const messages = [{ role: 'user' as const, content: BLOCK_COMPLETION_MARKER }];
      const completion = await client(mock).chat.completions.create({ ...ask, messages });
      expect(completion.choices[0]).toMatchObject({
        finish_reason: 'content_filter',
        message: { content: null },
      });
      const chunks = [];
      for await (const chunk of await client(mock).chat.completions.create({
        ...ask,
        messages,
        stream: true,
      })) {
        chunks.push(chunk);
      }
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('');
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('content_filter');
    });
  });
});
