import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHAT, startHarness, type Harness } from '../support/sidecar-harness.ts';

describe('the official OpenAI SDK through the sidecar', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      [{ name: 'alpha', apiKey: 'sk-alpha-secret-123456' }],
      (mocks) => ({
        providers: [
          {
            name: 'alpha',
            type: 'openai',
            baseURL: mocks.alpha?.url,
            apiKey: { env: 'ALPHA_KEY' },
            models: [
              { name: 'chat', model: 'gpt-4o-mini' },
              { name: 'embed', model: 'text-embedding-3-small' },
            ],
          },
        ],
      }),
      { secrets: { env: { ALPHA_KEY: 'sk-alpha-secret-123456' } } },
    );
  });
  afterAll(() => h.close());

  it('answers a chat completion and says which provider served it', async () => {
    const { data, response } = await h.client.chat.completions.create(CHAT).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]?.message.content).toContain('alpha');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchboard-provider')).toBe('alpha');
    expect(response.headers.get('x-switchboard-attempts')).toBe('1');
    // the logical model was mapped to the provider's own model, and the sidecar's key was sent
    const last = h.mocks.alpha?.stats.lastRequest;
    expect((last?.body as { model: string }).model).toBe('gpt-4o-mini');
    expect(last?.headers.authorization).toBe('Bearer sk-alpha-secret-123456');
  });

  it('streams a chat completion chunk by chunk and ends cleanly', async () => {
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    let text = '';
    let chunks = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      expect(chunk.usage ?? null).toBeNull(); // usage was not asked for, so the sidecar withheld its chunk
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toContain('alpha');
    expect(finish).toBe('stop');
    expect((h.mocks.alpha?.stats.lastRequest?.body as { stream_options: unknown }).stream_options).toEqual({
      include_usage: true,
    });
  });

  it('passes the usage chunk on to a client that asked for it', async () => {
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

  it('creates embeddings', async () => {
    const res = await h.client.embeddings.create({ model: 'embed', input: ['one', 'two'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it('lists the pool’s logical models', async () => {
    const models = [];
    for await (const m of h.client.models.list()) models.push(m.id);
    expect(models.sort()).toEqual(['chat', 'embed']);
  });
});
