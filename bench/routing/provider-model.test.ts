import { describe, expect, it } from '@jest/globals';
import { seededRng } from '../../core/clock.ts';
import { adapterFor } from '../../sidecar/providers/registry.ts';
import { quantile } from './distributions.ts';
import { REFUSED_AFTER_MS, SimProvider, type Answer, type ProviderState } from './provider-model.ts';

const state = (extra: Partial<ProviderState> = {}): ProviderState => ({
  latencyMedianMs: 1_000,
  latencySigma: 0.3,
  errorRate: 0,
  down: false,
  price: { inputPerMillionTokens: 1, outputPerMillionTokens: 2 },
  requestsPerMinute: undefined,
  ...extra,
});
const tokens = { input: 100, output: 50 };

function answers(p: SimProvider, n: number, at: (i: number) => number = () => 0): Answer[] {
  const rng = seededRng(3);
  return Array.from({ length: n }, (_, i) => p.answer(at(i), rng, tokens));
}

describe('a simulated provider', () => {
  it('draws log-normal latencies around its median, with p99 at about e^(2.33 σ) × the median', () => {
    const latencies = answers(new SimProvider('p', state()), 20_000)
      .map((a) => a.afterMs)
      .sort((a, b) => a - b);
    expect(quantile(latencies, 0.5)).toBeGreaterThan(970);
    expect(quantile(latencies, 0.5)).toBeLessThan(1_030);
    expect(quantile(latencies, 0.99) / 1_000).toBeCloseTo(Math.exp(2.326 * 0.3), 0);
  });

  it('fails its error rate’s share of attempts with a 500', () => {
    const all = answers(new SimProvider('p', state({ errorRate: 0.1 })), 20_000);
    const failed = all.filter((a) => a.kind === 'status' && a.status === 500).length;
    expect(failed / all.length).toBeCloseTo(0.1, 2);
  });

  it('refuses connections fast while down, and answers again after the phase', () => {
    const p = new SimProvider('p', state(), [{ from: 1_000, until: 2_000, change: { down: true } }]);
    const rng = seededRng(1);
    expect(p.answer(1_500, rng, tokens)).toEqual({ kind: 'refused', afterMs: REFUSED_AFTER_MS });
    expect(p.wouldAccept(1_500)).toBe(false);
    expect(p.answer(2_000, rng, tokens).kind).toBe('ok');
    expect(p.stateAt(999).down).toBe(false);
  });

  it('answers 429 with Retry-After once the account’s limit is used up, and takes requests again as it refills', () => {
    // 60 a minute: one a second; the bucket holds one minute's worth.
    const p = new SimProvider('p', state({ requestsPerMinute: 60 }));
    const burst = answers(p, 61);
    expect(burst.slice(0, 60).every((a) => a.kind === 'ok')).toBe(true);
    const limited = burst[60];
    expect(limited?.kind === 'status' && limited.status).toBe(429);
    expect(limited?.kind === 'status' && limited.headers['retry-after']).toBe('1');
    expect(p.wouldAccept(0)).toBe(false);
    expect(p.wouldAccept(1_000)).toBe(true);
    expect(p.answer(1_000, seededRng(1), tokens).kind).toBe('ok');
  });

  it('says what its 429s ask for during a storm phase', () => {
    const p = new SimProvider('p', state({ requestsPerMinute: 6_000 }), [
      { from: 0, until: 10_000, change: { requestsPerMinute: 1, retryAfterSeconds: 5 } },
    ]);
    const [first, second] = answers(p, 2);
    expect(first?.kind).toBe('ok');
    expect(second?.kind === 'status' && second.headers['retry-after']).toBe('5');
  });

  it('announces its budget in OpenAI’s x-ratelimit headers, which the sidecar’s own adapter reads', () => {
    const p = new SimProvider('p', state({ requestsPerMinute: 600 }));
    const [answer] = answers(p, 1);
    const headers = answer?.kind === 'ok' ? answer.headers : {};
    const read = adapterFor('openai')?.readRateLimits((name) => headers[name], 0);
    expect(read?.requests?.limit).toBe(600);
    expect(read?.requests?.remaining).toBe(599);
    // One request's worth refills in 100 ms.
    expect(read?.requests?.fullAt).toBeCloseTo(100, -1);
  });
});
