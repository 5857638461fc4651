import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Secret } from '../../core/secret.ts';
import { SseParser } from '../../../core/sse/sse-parser.ts';
import type { TargetEndpoint } from '../adapter.ts';
import { AzureOpenAIAdapter } from './azure-openai-adapter.ts';

const adapter = new AzureOpenAIAdapter();

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

function target(overrides: Partial<TargetEndpoint> = {}): TargetEndpoint {
  return {
    baseURL: 'https://contoso.openai.azure.com',
    model: 'chat-deployment',
    apiKey: new Secret('azure-key-0123456789'),
    maxOutputTokens: undefined,
    apiVersion: undefined,
    ...overrides,
  };
}

const chat = { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] };

function sentBody(request: Record<string, unknown>, endpoint = target()): Record<string, unknown> {
  return JSON.parse(adapter.buildRequest('chat', request, endpoint).body) as Record<string, unknown>;
}

describe('Azure OpenAI requests', () => {
  it.each([
    {
      name: 'a resource endpoint',
      baseURL: 'https://contoso.openai.azure.com',
      url: 'https://contoso.openai.azure.com/openai/deployments/chat-deployment/chat/completions?api-version=2024-10-21',
    },
    {
      name: 'an endpoint with a trailing slash',
      baseURL: 'https://contoso.openai.azure.com/',
      url: 'https://contoso.openai.azure.com/openai/deployments/chat-deployment/chat/completions?api-version=2024-10-21',
    },
    {
      name: 'an endpoint ending in /openai, as the AzureOpenAI SDK client takes it',
      baseURL: 'https://contoso.openai.azure.com/openai/',
      url: 'https://contoso.openai.azure.com/openai/deployments/chat-deployment/chat/completions?api-version=2024-10-21',
    },
    {
      name: 'a gateway with a path prefix',
      baseURL: 'https://gateway.example.com/azure',
      url: 'https://gateway.example.com/azure/openai/deployments/chat-deployment/chat/completions?api-version=2024-10-21',
    },
  ])('addresses the deployment under $name', ({ baseURL, url }) => {
    expect(adapter.buildRequest('chat', chat, target({ baseURL })).url.href).toBe(url);
  });

  it('sends embeddings to the deployment’s embeddings path with the pool’s api-version', () => {
    const request = adapter.buildRequest(
      'embeddings',
      { model: 'embed', input: 'x' },
      target({ model: 'text-embedding-3-small', apiVersion: '2024-06-01' }),
    );
    expect(request.url.href).toBe(
      'https://contoso.openai.azure.com/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-06-01',
    );
  });

  it('escapes a deployment name that is not a plain path segment', () => {
    const url = adapter.buildRequest('chat', chat, target({ model: 'team a/chat' })).url;
    expect(url.pathname).toBe('/openai/deployments/team%20a%2Fchat/chat/completions');
  });

  it('authenticates with the api-key header, never a bearer token', () => {
    const { headers } = adapter.buildRequest('chat', chat, target());
    expect(headers['api-key']).toBe('azure-key-0123456789');
    expect(headers.authorization).toBeUndefined();
  });

  it('sends no key header when the provider has no key', () => {
    const { headers } = adapter.buildRequest('chat', chat, target({ apiKey: undefined }));
    expect(headers['api-key']).toBeUndefined();
  });

  it('names the deployment as the model and leaves other fields alone', () => {
    expect(sentBody({ ...chat, temperature: 0.2 })).toEqual({
      ...chat,
      model: 'chat-deployment',
      temperature: 0.2,
    });
  });

  it.each([
    {
      name: 'asks for a usage chunk in streams when the version accepts stream_options',
      apiVersion: '2024-10-21',
      request: { ...chat, stream: true },
      expected: { stream_options: { include_usage: true } },
      absent: [],
    },
    {
      name: 'keeps the client’s other stream options',
      apiVersion: '2025-01-01-preview',
      request: { ...chat, stream: true, stream_options: { include_obfuscation: false } },
      expected: { stream_options: { include_obfuscation: false, include_usage: true } },
      absent: [],
    },
    {
      name: 'drops stream_options for a version that would refuse it',
      apiVersion: '2024-06-01',
      request: { ...chat, stream: true, stream_options: { include_usage: true } },
      expected: {},
      absent: ['stream_options'],
    },
    {
      name: 'turns max_completion_tokens into max_tokens for a version that predates it',
      apiVersion: '2024-06-01',
      request: { ...chat, max_completion_tokens: 50 },
      expected: { max_tokens: 50 },
      absent: ['max_completion_tokens'],
    },
    {
      name: 'keeps max_completion_tokens for a version that knows it',
      apiVersion: '2024-10-21',
      request: { ...chat, max_completion_tokens: 50 },
      expected: { max_completion_tokens: 50 },
      absent: ['max_tokens'],
    },
    {
      name: 'takes an undated version as current',
      apiVersion: 'latest',
      request: { ...chat, stream: true, max_completion_tokens: 5 },
      expected: { stream_options: { include_usage: true }, max_completion_tokens: 5 },
      absent: ['max_tokens'],
    },
  ])('$name', ({ apiVersion, request, expected, absent }) => {
    const body = sentBody(request, target({ apiVersion }));
    expect(body).toMatchObject(expected);
    for (const field of absent) expect(body).not.toHaveProperty(field);
  });

  it('leaves the caller’s request object untouched', () => {
    const request = { ...chat, stream: true, max_completion_tokens: 9 };
    const copy = structuredClone(request);
    adapter.buildRequest('chat', request, target({ apiVersion: '2024-06-01' }));
    expect(request).toEqual(copy);
  });
});

describe('Azure OpenAI answers', () => {
  it('passes a completion through with Azure’s filter results and reads its usage', () => {
    const body: unknown = JSON.parse(fixture('chat-completion.json'));
    const translated = adapter.translateResponse('chat', body);
    expect(translated.body).toBe(body);
    expect(translated.usage).toEqual({ inputTokens: 14, outputTokens: 10 });
  });

  it('streams OpenAI chunks, drops the prompt-filter chunk, reads usage and ends at [DONE]', () => {
    const translator = adapter.createStreamTranslator(target(), { clientWantsUsage: false });
    const events = new SseParser().feed(fixture('chat-stream.sse'));
    const out = events.flatMap((event) => translator.onEvent(event));
    expect(events).toHaveLength(7);
    expect(out).toHaveLength(5); // role, two deltas, finish, [DONE]: no prompt-filter chunk, no usage chunk
    expect(out.at(-1)).toBe('[DONE]');
    const chunks = out.slice(0, -1).map((data) => JSON.parse(data) as { id: string; choices: unknown[] });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-AzR3Kq8mXv0T2bN4yLp7Wc1Hd9Fe']));
    expect(translator.finished).toBe(true);
    expect(translator.usage).toEqual({ inputTokens: 14, outputTokens: 4 });
  });

  it('passes the usage chunk to a client that asked for it', () => {
    const translator = adapter.createStreamTranslator(target(), { clientWantsUsage: true });
    const out = new SseParser().feed(fixture('chat-stream.sse')).flatMap((e) => translator.onEvent(e));
    expect(out).toHaveLength(6);
    expect(JSON.parse(out[4] ?? '')).toMatchObject({ choices: [], usage: { total_tokens: 18 } });
  });

  it('is not finished by a stream cut before [DONE]', () => {
    const translator = adapter.createStreamTranslator(target(), { clientWantsUsage: false });
    for (const event of new SseParser().feed(fixture('chat-stream.sse')).slice(0, 4))
      translator.onEvent(event);
    expect(translator.finished).toBe(false);
  });
});

describe('Azure OpenAI errors', () => {
  it.each([
    {
      name: 'a prompt refused by content filtering keeps its content_filter code',
      status: 400,
      file: 'content-filter-400.json',
      expected: { code: 'content_filter', message: expect.stringContaining('content management policy') },
    },
    {
      name: 'a 429 takes its wait from the message, as the status number is no code',
      status: 429,
      file: 'rate-limit-429.json',
      expected: { code: null, retryAfterMs: 6000, message: expect.stringContaining('token rate limit') },
    },
    {
      name: 'a 401 says what is wrong without a code',
      status: 401,
      file: 'unauthorized-401.json',
      expected: { code: null, message: expect.stringContaining('invalid subscription key') },
    },
    {
      name: 'a 404 for an unknown deployment names it',
      status: 404,
      file: 'deployment-not-found-404.json',
      expected: { code: 'DeploymentNotFound' },
    },
    {
      name: 'a 404 for a missing api-version says resource not found',
      status: 404,
      file: 'resource-not-found-404.json',
      expected: { code: null, message: 'Resource not found' },
    },
    {
      name: 'a validation error without the error envelope still gives its message',
      status: 400,
      file: 'validation-400-bare.json',
      expected: { code: null, message: expect.stringContaining('max_completion_tokens') },
    },
  ])('$name', ({ status, file, expected }) => {
    const info = adapter.parseError(status, fixture(file));
    expect(info).toMatchObject(expected);
    expect(info.quotaExhausted).toBeUndefined();
  });

  it('reads a content-filter refusal that only the inner error names', () => {
    const body = JSON.stringify({
      error: { message: 'filtered', innererror: { code: 'ResponsibleAIPolicyViolation' } },
    });
    expect(adapter.parseError(400, body).code).toBe('content_filter');
  });

  it('marks a used-up quota as such', () => {
    const body = JSON.stringify({ error: { code: 'insufficient_quota', message: 'quota used up' } });
    expect(adapter.parseError(429, body)).toMatchObject({ quotaExhausted: true });
  });

  it('falls back to the status when the body is not JSON', () => {
    expect(adapter.parseError(502, '<html>Bad Gateway</html>')).toEqual({
      message: 'upstream answered HTTP 502',
      code: null,
    });
  });
});

describe('Azure OpenAI rate-limit headers', () => {
  const now = 1_000_000;
  const lookup = (headers: Record<string, string | undefined>) => (name: string) => headers[name];

  it.each([
    {
      name: 'reads remaining and limit of both budgets, resets given in seconds',
      headers: {
        'x-ratelimit-remaining-requests': '9',
        'x-ratelimit-limit-requests': '10',
        'x-ratelimit-remaining-tokens': '900',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-reset-tokens': '6',
      },
      expected: {
        requests: { remaining: 9, limit: 10, fullAt: undefined },
        tokens: { remaining: 900, limit: 1000, fullAt: now + 6000 },
      },
    },
    {
      name: 'reads a remaining count without a limit, as older deployments send',
      headers: { 'x-ratelimit-remaining-requests': '3' },
      expected: { requests: { remaining: 3, limit: undefined, fullAt: undefined } },
    },
    {
      name: 'treats -1 (a budget Azure does not meter) as not announced',
      headers: {
        'x-ratelimit-remaining-tokens': '-1',
        'x-ratelimit-limit-tokens': '-1',
        'x-ratelimit-reset-tokens': '0',
        'x-ratelimit-remaining-requests': '5',
      },
      expected: { requests: { remaining: 5, limit: undefined, fullAt: undefined } },
    },
  ])('$name', ({ headers, expected }) => {
    expect(adapter.readRateLimits(lookup(headers), now)).toEqual(expected);
  });

  it('says nothing when no budget is announced', () => {
    expect(adapter.readRateLimits(lookup({ 'x-ratelimit-remaining-tokens': '-1' }), now)).toBeUndefined();
  });
});
