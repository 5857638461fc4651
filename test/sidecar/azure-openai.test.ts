import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { BLOCK_PROMPT_MARKER } from '../../mock-provider/dialects/azure-openai/content-filter.ts';
import type { MockProvider } from '../../mock-provider/server.ts';
import { CHAT, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

const KEY = 'azure-key-east-0123456789';
const secrets = { secrets: { env: { AZURE_KEY: KEY } } };

/** Every mock as an Azure OpenAI resource, with the key from the environment and its own overrides. */
function azurePool(
  mocks: Record<string, MockProvider>,
  overrides: Record<string, Record<string, unknown>> = {},
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  const providers: Record<string, Record<string, unknown>> = {};
  for (const m of Object.values(mocks)) {
    providers[m.name] = {
      type: m.dialect,
      ...(m.dialect === 'azure-openai' && { baseURL: m.origin, apiKey: { env: 'AZURE_KEY' } }),
      ...overrides[m.name],
    };
  }
  return poolSpec(mocks, { spec, providers });
}

describe('the OpenAI SDK through the sidecar to Azure OpenAI', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      [{ name: 'east', dialect: 'azure-openai', apiKey: KEY, behaviour: { streamChunks: 4 } }],
      (mocks) => azurePool(mocks),
      secrets,
    );
  });
  afterAll(() => h.close());

  it('answers a chat completion from the deployment, with Azure’s key header', async () => {
    const { data, response } = await h.client.chat.completions.create(CHAT).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from east. You said: Say hello.');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchboard-provider')).toBe('east');
    const last = h.mocks.east?.stats.lastRequest;
    expect(last?.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions');
    expect(last?.headers['api-key']).toBe(KEY);
    expect(last?.headers.authorization).toBeUndefined();
    // Azure's annotations are extra fields the app may read; the OpenAI SDK ignores them
    expect(data).toMatchObject({ prompt_filter_results: [{ prompt_index: 0 }] });
  });

  it('streams chunks of one id, without Azure’s prompt-filter chunk, and withholds usage not asked for', async () => {
    const chunks = [];
    for await (const chunk of await h.client.chat.completions.create({ ...CHAT, stream: true }))
      chunks.push(chunk);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]?.id).toMatch(/^chatcmpl-/);
    expect(chunks.every((c) => c.choices.length === 1 && (c.usage ?? null) === null)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      'Hello from east. You said: Say hello.',
    );
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect((h.mocks.east?.stats.lastRequest?.body as { stream_options: unknown }).stream_options).toEqual({
      include_usage: true,
    });
  });

  it('passes the usage chunk to a client that asks for it', async () => {
    const stream = await h.client.chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0]?.completion_tokens).toBeGreaterThan(0);
  });

  it('creates embeddings on the embeddings deployment', async () => {
    const res = await h.client.embeddings.create({ model: 'embed', input: ['one', 'two'] });
    expect(res.data).toHaveLength(2);
    expect(h.mocks.east?.stats.lastRequest?.path).toBe(
      '/openai/deployments/text-embedding-3-small/embeddings',
    );
  });
});

describe('Azure OpenAI api-version and base URL', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('streams from an older api-version without the stream_options it would refuse', async () => {
    h = await startHarness(
      [{ name: 'old', dialect: 'azure-openai' }],
      (mocks) => azurePool(mocks, { old: { apiVersion: '2024-06-01', baseURL: `${mocks.old?.url}/` } }),
      secrets,
    );
    let text = '';
    const stream = await h.client.chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 200,
    });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from old. You said: Say hello.');
    const sent = h.mocks.old?.stats.lastRequest?.body as Record<string, unknown>;
    expect(sent).not.toHaveProperty('stream_options');
    expect(sent).toMatchObject({ max_tokens: 200 });
  });
});

describe('Azure OpenAI failures through the sidecar', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('fails over from a failing Azure deployment to another Azure resource', async () => {
    h = await startHarness(
      [
        { name: 'broken', dialect: 'azure-openai', behaviour: { errorRate: 1 } },
        { name: 'west', dialect: 'azure-openai' },
      ],
      (mocks) =>
        azurePool(mocks, { broken: { weight: 1000 } }, { strategy: { type: 'weighted-round-robin' } }),
      secrets,
    );
    const { data, response } = await h.client.chat.completions.create(CHAT).withResponse();
    expect(data.choices[0]?.message.content).toContain('west');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(h.mocks.broken?.stats.byStatus).toEqual({ 500: 1 });
  });

  it('fails over from an Azure 429 to an OpenAI provider and cools the Azure one down', async () => {
    h = await startHarness(
      [
        { name: 'limited', dialect: 'azure-openai', behaviour: { rateLimitRate: 1, retryAfterS: 30 } },
        { name: 'openai' },
      ],
      (mocks) =>
        azurePool(mocks, { limited: { weight: 1000 } }, { strategy: { type: 'weighted-round-robin' } }),
      secrets,
    );
    for (let i = 0; i < 3; i++) {
      const { response } = await h.client.chat.completions.create(CHAT).withResponse();
      expect(response.headers.get('x-switchboard-provider')).toBe('openai');
    }
    expect(h.mocks.limited?.stats.requests).toBe(1); // cooling down for its retry-after: not tried again
  });

  it('fails over from a resource that refuses the key, and hides the refusal from the app', async () => {
    h = await startHarness(
      [
        { name: 'locked', dialect: 'azure-openai', apiKey: 'another-key-0000000000' },
        { name: 'open', dialect: 'azure-openai' },
      ],
      (mocks) =>
        azurePool(mocks, { locked: { weight: 1000 } }, { strategy: { type: 'weighted-round-robin' } }),
      secrets,
    );
    const { response } = await h.client.chat.completions.create(CHAT).withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('open');
    expect(h.mocks.locked?.stats.byStatus).toEqual({ 401: 1 });
  });

  it('passes a content-filter refusal to the app and does not route the prompt around the policy', async () => {
    h = await startHarness(
      [{ name: 'filtered', dialect: 'azure-openai' }, { name: 'other' }],
      (mocks) =>
        azurePool(mocks, { filtered: { weight: 1000 } }, { strategy: { type: 'weighted-round-robin' } }),
      secrets,
    );
    const blocked = { ...CHAT, messages: [{ role: 'user' as const, content: BLOCK_PROMPT_MARKER }] };
    const error = await h.client.chat.completions.create(blocked).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'content_filter' });
    expect((error as Error).message).toContain('content management policy');
    expect(h.mocks.other?.stats.requests).toBe(0);
  });
});
