/**
 * Priority tiers on real sockets with the official OpenAI SDK: the best tier with an available provider takes the
 * traffic, a retry stays in its tier first, and a worse tier serves only when the better ones cannot.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { countBy, poolSpec, servedBy, startHarness, type Harness } from '../support/sidecar-harness.ts';

describe('priority tiers', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('sends every request to the preferred tier, split there by the strategy', async () => {
    h = await startHarness([{ name: 'p1' }, { name: 'p2' }, { name: 'fallback' }], (mocks) =>
      poolSpec(mocks, {
        spec: { strategy: { type: 'round-robin' } },
        providers: { fallback: { priority: 1, weight: 1000 } },
      }),
    );
    expect(countBy(await servedBy(h.client, 6))).toEqual({ p1: 3, p2: 3 });
    expect(h.mocks.fallback?.stats.requests).toBe(0);
  });

  it('retries in the tier first, then moves down a tier once the better tier failed the request', async () => {
    h = await startHarness(
      [{ name: 'broken', behaviour: { errorRate: 1 } }, { name: 'steady' }, { name: 'fallback' }],
      (mocks) =>
        poolSpec(mocks, {
          spec: { breaker: { consecutiveFailures: 100 } },
          providers: { broken: { weight: 1000 }, fallback: { priority: 1 } },
        }),
    );
    const { response } = await h.client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('steady');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(h.mocks.fallback?.stats.requests).toBe(0);

    h.mocks.steady?.setBehaviour({ errorRate: 1 });
    const served = await servedBy(h.client, 1);
    expect(served).toEqual(['fallback']);
  });

  it('serves from the fallback tier while the preferred tier has no provider available', async () => {
    h = await startHarness(
      [{ name: 'primary', behaviour: { rateLimitRate: 1, retryAfterS: 60 } }, { name: 'fallback' }],
      (mocks) => poolSpec(mocks, { providers: { fallback: { priority: 1 } } }),
    );
    // The first request meets the 429 and fails over; the primary then cools down for a minute.
    expect(await servedBy(h.client, 4)).toEqual(['fallback', 'fallback', 'fallback', 'fallback']);
    expect(h.mocks.primary?.stats.requests).toBe(1);
  });
});
