import { describe, expect, it } from '@jest/globals';
import type { ProviderType } from '../../api/v1alpha1/providerpool.ts';
import { Secret } from '../core/secret.ts';
import { adapterFor } from './registry.ts';
import { testEndpoint } from './test-endpoint.ts';

const KEY = 'k-123';

describe('each dialect’s free request for active health probes', () => {
  it.each([
    {
      dialect: 'openai',
      baseURL: 'https://api.openai.com/v1',
      url: 'https://api.openai.com/v1/models',
      auth: ['authorization', `Bearer ${KEY}`],
    },
    {
      dialect: 'openai-compatible',
      baseURL: 'http://vllm:8000/v1/',
      url: 'http://vllm:8000/v1/models',
      auth: ['authorization', `Bearer ${KEY}`],
    },
    {
      dialect: 'anthropic',
      baseURL: 'https://api.anthropic.com',
      url: 'https://api.anthropic.com/v1/models',
      auth: ['x-api-key', KEY],
    },
    {
      dialect: 'gemini',
      baseURL: 'https://generativelanguage.googleapis.com',
      url: 'https://generativelanguage.googleapis.com/v1beta/models',
      auth: ['x-goog-api-key', KEY],
    },
    {
      dialect: 'azure-openai',
      baseURL: 'https://r.openai.azure.com/openai',
      url: 'https://r.openai.azure.com/openai/models?api-version=2024-10-21',
      auth: ['api-key', KEY],
    },
  ])('$dialect lists or reads models at $url', ({ dialect, baseURL, url, auth }) => {
    const adapter = adapterFor(dialect as ProviderType);
    const probe = adapter?.probeRequest(
      testEndpoint({ baseURL, model: 'the-model', apiKey: new Secret(KEY) }),
    );
    expect(probe?.url.href).toBe(url);
    expect(probe?.headers[auth[0] ?? '']).toBe(auth[1]);
  });
});
