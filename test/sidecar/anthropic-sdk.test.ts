import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { startHarness, type Harness } from '../support/sidecar-harness.ts';

describe('the official Anthropic SDK through the sidecar’s /v1/messages', () => {
  let h: Harness;
  let client: Anthropic;
  beforeAll(async () => {
    h = await startHarness([{ name: 'gpt' }]); // an OpenAI-dialect provider behind an Anthropic-speaking app
    client = new Anthropic({ baseURL: new URL(h.sidecar.url).origin, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(() => h.close());

  const ask = {
    model: 'chat',
    max_tokens: 256,
    messages: [{ role: 'user' as const, content: 'Say hello.' }],
  };

  it('answers a message in Anthropic’s shape, served by an OpenAI provider', async () => {
    const { data, response } = await client.messages.create(ask).withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.stop_reason).toBe('end_turn');
    const text = data.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toContain('gpt');
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchboard-provider')).toBe('gpt');
  });

  it('streams with the SDK’s own event accumulator and ends with a complete message', async () => {
    const stream = client.messages.stream(ask);
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const final = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    const text = final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toBe(deltas.join(''));
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('raises the SDK’s BadRequestError for an invalid request, which reaches no provider', async () => {
    const before = h.mocks.gpt?.stats.requests;
    const err = await client.messages.create({ ...ask, max_tokens: -5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).toMatch(/max_tokens/);
    expect(h.mocks.gpt?.stats.requests).toBe(before);
  });

  it('raises the SDK’s NotFoundError for an unknown model', async () => {
    const err = await client.messages.create({ ...ask, model: 'claude-nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
  });
});
