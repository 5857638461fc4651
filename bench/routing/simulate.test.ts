import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { WeightedRoundRobin } from '../../sidecar/balancer/strategies/weighted-round-robin.ts';
import { SimProvider } from './provider-model.ts';
import { simulate, type SimOptions } from './simulate.ts';

const small: SimOptions = { durationMs: 60_000, sidecars: 3, totalRps: 10, seed: 5 };

/** Attempts each provider received during `run`. */
function attemptsPerProvider(run: () => void): Record<string, number> {
  const counts: Record<string, number> = {};
  const answer = SimProvider.prototype.answer;
  const spy = jest.spyOn(SimProvider.prototype, 'answer').mockImplementation(function (
    this: SimProvider,
    ...args
  ) {
    counts[this.name] = (counts[this.name] ?? 0) + 1;
    return answer.apply(this, args);
  });
  run();
  spy.mockRestore();
  return counts;
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('the routing simulator', () => {
  it('gives the same result for the same seed', () => {
    expect(simulate('flaky', 'adaptive', small)).toEqual(simulate('flaky', 'adaptive', small));
  });

  it('drives the product’s own strategy: when weighted-round-robin’s pick is forced onto the last provider, traffic, p99 and cost follow', () => {
    const before = simulate('steady', 'weighted-round-robin', small);
    const pick = WeightedRoundRobin.prototype.pick;
    jest.spyOn(WeightedRoundRobin.prototype, 'pick').mockImplementation(function (
      this: WeightedRoundRobin,
      candidates,
      ctx,
    ) {
      return candidates[candidates.length - 1] ?? pick.call(this, candidates, ctx);
    });
    const counts = attemptsPerProvider(() => simulate('steady', 'weighted-round-robin', small));
    const forced = simulate('steady', 'weighted-round-robin', small);
    expect(counts.alpha ?? 0).toBe(0);
    expect(counts.gamma ?? 0).toBeGreaterThan(500);
    // gamma is the slowest and dearest of the three.
    expect(forced.costPer1kUSD).toBeGreaterThan(before.costPer1kUSD * 1.2);
    expect(forced.p99Ms).toBeGreaterThan(before.p99Ms);
  });

  it('drives the real operator: adaptive, which has no latency preference of its own, sends most traffic to the fastest provider by the pushed weights', () => {
    const counts = attemptsPerProvider(() =>
      simulate('steady', 'adaptive', { ...small, durationMs: 120_000 }),
    );
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect((counts.alpha ?? 0) / total).toBeGreaterThan(0.6);
    // Weighted round-robin, on the spec's equal weights, splits evenly.
    const even = attemptsPerProvider(() =>
      simulate('steady', 'weighted-round-robin', { ...small, durationMs: 120_000 }),
    );
    const evenTotal = Object.values(even).reduce((a, b) => a + b, 0);
    expect((even.alpha ?? 0) / evenTotal).toBeCloseTo(1 / 3, 1);
  });

  it('drives the breaker and the pool-wide cool-downs: during an outage the product’s strategies stop sending to the dead provider, the textbook round-robin does not', () => {
    const options = { ...small, durationMs: 100_000 };
    const product = attemptsPerProvider(() => simulate('outage', 'round-robin', options));
    const naive = attemptsPerProvider(() => simulate('outage', 'naive-round-robin', options));
    // alpha is down for 30 s of the 100: the naive router keeps trying it on a third of its first attempts.
    expect(product.alpha ?? 0).toBeLessThan((naive.alpha ?? 0) * 0.75);
  });

  it('serves nearly every request with the oracle in every scenario (it is an upper reference)', () => {
    for (const scenario of ['outage', 'rate-limit-storm', 'shared-quota'] as const)
      expect(simulate(scenario, 'oracle', small).successRate).toBeGreaterThan(0.995);
  });
});
