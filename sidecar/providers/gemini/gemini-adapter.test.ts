import { describe, expect, it } from '@jest/globals';
import { InvalidRequestError } from '../../core/errors.ts';
import { GeminiAdapter } from './gemini-adapter.ts';
import { TARGET } from './test-support.ts';

const adapter = new GeminiAdapter();
const CHAT = { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] };

describe('the Gemini adapter', () => {
  const urls: [string, Partial<typeof TARGET>, Record<string, unknown>, string][] = [
    [
      'a plain call',
      {},
      CHAT,
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent',
    ],
    [
      'a streamed call asks for SSE',
      {},
      { ...CHAT, stream: true },
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    ],
    [
      'the configured apiVersion, a base URL with a path and trailing slash, a models/ prefix',
      { apiVersion: 'v1', baseURL: 'http://proxy.local/google/', model: 'models/gemini-2.0-flash' },
      CHAT,
      'http://proxy.local/google/v1/models/gemini-2.0-flash:generateContent',
    ],
    [
      'a model name that would change the path is kept in one segment',
      { model: 'a/../../b?x=1#y' },
      CHAT,
      'https://generativelanguage.googleapis.com/v1beta/models/a%2F..%2F..%2Fb%3Fx%3D1%23y:generateContent',
    ],
  ];
  it.each(urls)('builds the URL of %s', (_name, target, request, url) => {
    expect(adapter.buildRequest('chat', request, { ...TARGET, ...target }).url.href).toBe(url);
  });

  it('sends the key in x-goog-api-key and nothing of the app’s model in the body', () => {
    const upstream = adapter.buildRequest('chat', CHAT, TARGET);
    expect(upstream.headers['x-goog-api-key']).toBe('AIzaSyTEST-key-0123456789');
    expect(upstream.headers.authorization).toBeUndefined();
    expect(JSON.parse(upstream.body)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it('embeds through batchEmbedContents, one request per input, with the dimensions asked for', () => {
    const upstream = adapter.buildRequest(
      'embeddings',
      { model: 'embed', input: ['a', 'b'], dimensions: 256 },
      {
        ...TARGET,
        model: 'gemini-embedding-001',
      },
    );
    expect(upstream.url.pathname).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(JSON.parse(upstream.body)).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'a' }] },
          outputDimensionality: 256,
        },
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'b' }] },
          outputDimensionality: 256,
        },
      ],
    });
  });

  const unsupported: [string, 'chat' | 'embeddings', Record<string, unknown>, RegExp | undefined][] = [
    ['a plain chat request', 'chat', CHAT, undefined],
    ['text embeddings', 'embeddings', { model: 'e', input: 'hello' }, undefined],
    ['token-id embeddings', 'embeddings', { model: 'e', input: [1, 2, 3] }, /text only/],
    ['logprobs', 'chat', { ...CHAT, logprobs: true }, /logprobs/],
  ];
  it.each(unsupported)('says whether it can serve %s', (_name, operation, request, reason) => {
    const found = adapter.unsupported(operation, request);
    if (reason === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(reason);
  });

  it('refuses to build what it cannot translate as an invalid request', () => {
    expect(() => adapter.buildRequest('chat', { ...CHAT, logprobs: true }, TARGET)).toThrow(
      InvalidRequestError,
    );
  });

  it('reads no rate-limit headers: Gemini sends none', () => {
    expect(adapter.readRateLimits()).toBeUndefined();
  });
});
