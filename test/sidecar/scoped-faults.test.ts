/**
 * Breakers and cool-downs scoped where the fault lives, on real sockets with the official OpenAI SDK: a 429 or a
 * model's 5xx sidelines that (provider, model) and leaves the provider's other models in rotation; refused
 * credentials sideline the provider for every model; an insufficient_quota error inside a 200 stream cools the
 * whole provider down as its 429 answer would; Gemini's per-model daily quota, used up, cools only that model.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import { metricsText, startHarness, type Harness } from '../support/sidecar-harness.ts';

/** Provider "shared" (preferred) and "spare" (tier 1) both serve logical models "a" and "b". */
function pool(mocks: Harness['mocks'], shared: Record<string, unknown> = {}): Record<string, unknown> {
  const models = [
    { name: 'a', model: 'model-a' },
    { name: 'b', model: 'model-b' },
  ];
  return {
    retry: { attempts: 2 },
    breaker: { consecutiveFailures: 1, baseBackoffMs: 60_000 },
    rateLimit: { defaultCooldownMs: 60_000, quotaExhaustedCooldownMs: 60_000 },
    providers: [
      { name: 'shared', type: 'openai', baseURL: mocks.shared?.url, priority: 0, models, ...shared },
      { name: 'spare', type: 'openai', baseURL: mocks.spare?.url, priority: 1, models },
    ],
  };
}

async function ask(h: Harness, model: string, stream = false): Promise<{ provider: string; text: string }> {
  const messages = [{ role: 'user' as const, content: 'Say hello.' }];
  if (!stream) {
    const { data, response } = await h.client.chat.completions.create({ model, messages }).withResponse();
    return {
      provider: response.headers.get('x-switchboard-provider') ?? 'missing',
      text: data.choices[0]?.message.content ?? '',
    };
  }
  const { data, response } = await h.client.chat.completions
    .create({ model, messages, stream: true })
    .withResponse();
  let text = '';
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  return { provider: response.headers.get('x-switchboard-provider') ?? 'missing', text };
}

const providersOf = async (h: Harness, model: string, n: number, stream = false) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await ask(h, model, stream)).provider);
  return out;
};

interface Case {
  name: string;
  shared: Partial<MockBehaviour>;
  /** The preferred provider's API (its mock speaks it); default openai. */
  type?: string;
  apiKey?: string;
  stream?: boolean;
  /** Who serves model b afterwards. */
  modelB: string;
  /** What is sidelined at "shared" afterwards. */
  sidelined: { provider: boolean; modelA: boolean; modelB: boolean };
}

const CASES: Case[] = [
  {
    name: 'a 429 on model a of a provider leaves its model b in rotation',
    shared: { rateLimitRate: 1, retryAfterS: 60, faultModels: ['model-a'] },
    modelB: 'shared',
    sidelined: { provider: false, modelA: true, modelB: false },
  },
  {
    name: 'a 500 of model a opens that model’s breaker only',
    shared: { errorRate: 1, faultModels: ['model-a'] },
    modelB: 'shared',
    sidelined: { provider: false, modelA: true, modelB: false },
  },
  {
    name: 'a 401 sidelines the provider for every model',
    shared: {},
    apiKey: 'sk-the-provider-wants-another',
    modelB: 'spare',
    sidelined: { provider: true, modelA: true, modelB: true },
  },
  {
    name: 'an insufficient_quota error inside a 200 stream cools the whole provider down',
    shared: { streamErrorAfterEvents: 0, streamErrorKind: 'insufficient-quota' },
    stream: true,
    modelB: 'spare',
    sidelined: { provider: true, modelA: true, modelB: true },
  },
  {
    name: 'Gemini’s per-model daily quota used up on model a leaves its model b in rotation',
    shared: { insufficientQuota: true, faultModels: ['model-a'] },
    type: 'gemini',
    modelB: 'shared',
    sidelined: { provider: false, modelA: true, modelB: false },
  },
];

describe('faults sideline what they belong to', () => {
  let h: Harness;
  afterEach(() => h.close());

  it.each(CASES)('$name', async (c) => {
    h = await startHarness(
      [
        {
          name: 'shared',
          behaviour: c.shared,
          ...(c.apiKey && { apiKey: c.apiKey }),
          ...(c.type && { dialect: c.type }),
        },
        { name: 'spare' },
      ],
      (mocks) =>
        pool(mocks, {
          ...(c.apiKey && { apiKey: { env: 'SHARED_KEY' } }),
          ...(c.type && { type: c.type }),
        }),
      { secrets: { env: { SHARED_KEY: 'sk-the-pool-has-this-one' } } },
    );
    const stream = c.stream === true;
    // The preferred provider fails model a's first request; the spare serves it, complete.
    const first = await ask(h, 'a', stream);
    expect(first.provider).toBe('spare');
    expect(first.text.length).toBeGreaterThan(0);
    expect(h.mocks.shared?.stats.requests).toBe(1);

    // Model a stays off the provider; model b goes where the scope of the fault says.
    expect(await providersOf(h, 'a', 3, stream)).toEqual(['spare', 'spare', 'spare']);
    expect(await providersOf(h, 'b', 3, stream)).toEqual(Array(3).fill(c.modelB));
    expect(h.mocks.shared?.stats.requests).toBe(c.modelB === 'shared' ? 4 : 1);

    const now = Date.now();
    const shared = h.sidecar.runtime().providers.get('shared');
    const blocked = (s: {
      breaker: { state(n: number): string };
      cooldown: { isCoolingDown(n: number): boolean };
    }) => s.breaker.state(now) === 'open' || s.cooldown.isCoolingDown(now);
    const a = shared?.targets.get('a');
    const b = shared?.targets.get('b');
    if (!shared || !a || !b) throw new Error('runtime lacks the provider or its models');
    expect({
      provider: blocked(shared),
      modelA: blocked(shared) || blocked(a),
      modelB: blocked(shared) || blocked(b),
    }).toEqual(c.sidelined);
  });

  it('counts a model’s breaker in metrics by provider and logical model', async () => {
    h = await startHarness(
      [{ name: 'shared', behaviour: { errorRate: 1, faultModels: ['model-a'] } }, { name: 'spare' }],
      (mocks) => pool(mocks),
    );
    await ask(h, 'a');
    const text = await metricsText(h.sidecar);
    expect(text).toContain('switchboard_model_breaker_state{provider="shared",model="a",state="open"} 1');
    expect(text).toContain('switchboard_model_breaker_state{provider="shared",model="b",state="closed"} 1');
    expect(text).toContain('switchboard_breaker_state{provider="shared",state="closed"} 1');
  });
});
