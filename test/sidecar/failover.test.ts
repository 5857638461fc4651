import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startMockProvider } from '../../mock-provider/server.ts';
import { CHAT, countBy, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

async function closedPortURL(): Promise<string> {
  const m = await startMockProvider({ name: 'gone' });
  await m.close();
  return m.url;
}

async function attemptsOf(h: Harness) {
  const { response } = await h.client.chat.completions.create(CHAT).withResponse();
  return {
    provider: response.headers.get('x-switchboard-provider'),
    attempts: Number(response.headers.get('x-switchboard-attempts')),
  };
}

describe('retries and failover', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('fails over to another provider when one refuses connections, then stops trying it once its breaker opens', async () => {
    const deadURL = await closedPortURL();
    h = await startHarness([{ name: 'alive' }], (mocks) => {
      const spec = poolSpec(mocks, {
        spec: { strategy: { type: 'round-robin' }, breaker: { consecutiveFailures: 2 } },
      });
      const providers = spec.providers as Record<string, unknown>[];
      return {
        ...spec,
        providers: [
          {
            name: 'dead',
            type: 'openai',
            baseURL: deadURL,
            models: [{ name: 'chat', model: 'gpt-4o-mini' }],
          },
          ...providers,
        ],
      };
    });
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await attemptsOf(h));
    expect(results.every((r) => r.provider === 'alive')).toBe(true);
    const failovers = results.filter((r) => r.attempts === 2).length;
    expect(failovers).toBe(2); // two connection failures open the breaker; after that "dead" is not tried
    expect(results.slice(-4).every((r) => r.attempts === 1)).toBe(true);
    expect(h.mocks.alive?.stats.requests).toBe(8);
  });

  it('retries a 5xx answer on another provider, invisibly to the client', async () => {
    h = await startHarness([{ name: 'broken', behaviour: { errorRate: 1 } }, { name: 'good' }], (mocks) =>
      poolSpec(mocks, { spec: { strategy: { type: 'round-robin' }, breaker: { consecutiveFailures: 100 } } }),
    );
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await attemptsOf(h));
    expect(countBy(results.map((r) => r.provider ?? ''))).toEqual({ good: 6 });
    // Each failure was retried once; the retry advances round-robin's cursor to "good", so after the first
    // (random) pick every request starts at "broken" again.
    const retried = results.filter((r) => r.attempts === 2).length;
    expect(h.mocks.broken?.stats.byStatus[500]).toBe(retried);
    expect(retried).toBeGreaterThanOrEqual(5);
  });

  it('fails over when a provider does not answer within the first-byte timeout', async () => {
    h = await startHarness([{ name: 'hung', behaviour: { hang: true } }, { name: 'quick' }], (mocks) =>
      poolSpec(mocks, {
        spec: { strategy: { type: 'weighted-round-robin' }, timeouts: { firstByteMs: 200 } },
        providers: { hung: { weight: 1000 } },
      }),
    );
    const r = await attemptsOf(h);
    expect(r).toEqual({ provider: 'quick', attempts: 2 });
  });

  it('does not retry a request the provider rejects as invalid: it would fail everywhere', async () => {
    h = await startHarness([{ name: 'a' }, { name: 'b' }]);
    const err = await h.client.chat.completions.create({ ...CHAT, n: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const total = (h.mocks.a?.stats.requests ?? 0) + (h.mocks.b?.stats.requests ?? 0);
    expect(total).toBe(1);
  });

  it('gives up after the configured attempts and answers with the last provider error', async () => {
    h = await startHarness(
      [
        { name: 'x', behaviour: { errorRate: 1 } },
        { name: 'y', behaviour: { errorRate: 1 } },
        { name: 'z', behaviour: { errorRate: 1 } },
      ],
      (mocks) => poolSpec(mocks, { spec: { retry: { attempts: 1 } } }),
    );
    const err = await h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/provider [xyz] answered HTTP 500/);
    const total = ['x', 'y', 'z'].reduce((n, k) => n + (h.mocks[k]?.stats.requests ?? 0), 0);
    expect(total).toBe(2); // one attempt plus one retry, on two different providers
    const headers = (err as InstanceType<typeof OpenAI.APIError>).headers;
    expect(headers?.get('x-switchboard-attempts')).toBe('2');
    expect(headers?.get('x-switchboard-provider')).toMatch(/^[xyz]$/);
  });

  it('spends retries only within the retry budget, so an outage is not multiplied', async () => {
    h = await startHarness(
      [
        { name: 'p', behaviour: { errorRate: 1 } },
        { name: 'q', behaviour: { errorRate: 1 } },
      ],
      (mocks) =>
        poolSpec(mocks, {
          spec: {
            retry: { attempts: 1, budgetRatio: 0.1, minRetriesPerSecond: 0 },
            breaker: { consecutiveFailures: 1000, minRequests: 1000 },
          },
        }),
    );
    for (let i = 0; i < 20; i++) await h.client.chat.completions.create(CHAT).catch(() => undefined);
    const upstream = (h.mocks.p?.stats.requests ?? 0) + (h.mocks.q?.stats.requests ?? 0);
    expect(upstream).toBeLessThanOrEqual(22); // 20 first attempts + at most 10 % retries
    expect(upstream).toBeGreaterThanOrEqual(20);
  });
});
