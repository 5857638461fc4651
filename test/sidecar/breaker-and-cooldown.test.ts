import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import {
  CHAT,
  metricsText,
  poolSpec,
  servedBy,
  startHarness,
  type Harness,
} from '../support/sidecar-harness.ts';
import { sleep } from '../support/wait.ts';

describe('circuit breaker and 429 cool-down through the sidecar', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('opens the breaker of a failing provider, probes it after the backoff and brings it back when it recovers', async () => {
    h = await startHarness([{ name: 'flaky', behaviour: { errorRate: 1 } }, { name: 'steady' }], (mocks) =>
      poolSpec(mocks, {
        spec: {
          strategy: { type: 'round-robin' },
          breaker: { consecutiveFailures: 2, baseBackoffMs: 1_500, successesToClose: 1 },
        },
      }),
    );
    await servedBy(h.client, 6);
    expect(h.mocks.flaky?.stats.requests).toBe(2); // two failures open it; no more traffic while open
    expect(await metricsText(h.sidecar)).toContain(
      'switchboard_model_breaker_state{provider="flaky",model="chat",state="open"} 1',
    );

    h.mocks.flaky?.setBehaviour({ errorRate: 0 });
    await servedBy(h.client, 4);
    expect(h.mocks.flaky?.stats.requests).toBe(2); // still open: the backoff has not elapsed

    await sleep(1_700); // past the backoff plus its ±10 % jitter
    const after = await servedBy(h.client, 6);
    expect(after.filter((p) => p === 'flaky').length).toBeGreaterThanOrEqual(2); // probed, closed, back in rotation
    expect(await metricsText(h.sidecar)).toContain(
      'switchboard_model_breaker_state{provider="flaky",model="chat",state="closed"} 1',
    );
  });

  it('cools a provider down for as long as its 429 Retry-After asks, serving from the others meanwhile', async () => {
    h = await startHarness(
      [{ name: 'limited', behaviour: { rateLimitRate: 1, retryAfterS: 2 } }, { name: 'spare' }],
      (mocks) => poolSpec(mocks, { providers: { limited: { weight: 100 } } }),
    );
    const first = await servedBy(h.client, 5);
    expect(first).toEqual(['spare', 'spare', 'spare', 'spare', 'spare']);
    expect(h.mocks.limited?.stats.byStatus[429]).toBe(1); // asked once, then left alone while cooling down

    h.mocks.limited?.setBehaviour({ rateLimitRate: 0 });
    await sleep(2_050);
    const later = await servedBy(h.client, 5);
    expect(later.filter((p) => p === 'limited').length).toBeGreaterThanOrEqual(4); // weight 100 : 1 once cooled
    expect(await metricsText(h.sidecar)).toMatch(/switchboard_rate_limited_total\{provider="limited"\} 1\b/);
  });

  it('answers 429 with Retry-After when every provider is rate limited, then tries the one whose cool-down ends first rather than refusing (panic)', async () => {
    h = await startHarness(
      [
        { name: 'a', behaviour: { rateLimitRate: 1, retryAfterS: 30 } },
        { name: 'b', behaviour: { rateLimitRate: 1, retryAfterS: 30 } },
      ],
      (mocks) => poolSpec(mocks),
    );
    const first = await h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(OpenAI.RateLimitError);
    expect((first as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('30');

    const res = await fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    });
    // Both cool down; one attempt goes to the provider that cooled down first (a), and no retry multiplies it.
    expect(res.status).toBe(429);
    expect(res.headers.get('x-switchboard-provider')).toBe('a');
    expect(res.headers.get('x-switchboard-attempts')).toBe('1');
    expect([h.mocks.a?.stats.requests, h.mocks.b?.stats.requests]).toEqual([2, 1]);
    expect(await metricsText(h.sidecar)).toContain(
      'switchboard_panic_routed_total{provider="a",model="chat"} 1',
    );
  });

  it('answers 503 when every provider refused the pool’s credentials: no panic to a hard-down provider', async () => {
    h = await startHarness(
      [
        { name: 'a', apiKey: 'the-right-key-a' },
        { name: 'b', apiKey: 'the-right-key-b' },
      ],
      (mocks) => poolSpec(mocks, { spec: { breaker: { consecutiveFailures: 1 } } }),
    );
    const first = await h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect((first as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    const res = await fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('no_provider_available');
    expect(body.error.message).toContain('a: circuit breaker open');
    expect([h.mocks.a?.stats.requests, h.mocks.b?.stats.requests]).toEqual([1, 1]);
  });
});

describe('rate-limit awareness before and beyond 429', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('stops sending to a provider whose announced request budget is used up, until a request is back', async () => {
    h = await startHarness(
      [{ name: 'tight', behaviour: { requestsPerMinute: 3 } }, { name: 'roomy' }],
      (mocks) => poolSpec(mocks, { providers: { tight: { weight: 1000 } } }),
    );
    const served = await servedBy(h.client, 8);
    // the third answer announces 0 requests left: the sidecar moves on without ever seeing a 429
    expect(served.slice(0, 3)).toEqual(['tight', 'tight', 'tight']);
    expect(served.slice(3).every((p) => p === 'roomy')).toBe(true);
    expect(h.mocks.tight?.stats.byStatus[429]).toBeUndefined();
  });

  it('cools a provider down for long when its quota is used up, not for the seconds of a rate limit', async () => {
    h = await startHarness(
      [{ name: 'broke', behaviour: { insufficientQuota: true, retryAfterS: 1 } }, { name: 'funded' }],
      (mocks) =>
        poolSpec(mocks, {
          providers: { broke: { weight: 1000 } },
          spec: { rateLimit: { quotaExhaustedCooldownMs: 120_000 } },
        }),
    );
    expect(await servedBy(h.client, 3)).toEqual(['funded', 'funded', 'funded']);
    const broke = h.sidecar.runtime().providers.get('broke');
    expect(broke?.cooldown.coolingUntil).toBeGreaterThan(Date.now() + 100_000);
    expect(h.mocks.broke?.stats.requests).toBe(1);
  });
});
