import { describe, expect, it } from '@jest/globals';
import { seededRng } from '../../../core/clock.ts';
import { ResponseTime } from './response-time.ts';
import { candidate, pickContext, pickShares, sharesUnderConcurrency } from './test-candidates.ts';

describe('response-time (P2C on peak-EWMA cost)', () => {
  it.each([
    {
      name: 'picks the faster of two idle targets',
      list: [candidate('a', { latencyMs: 200 }), candidate('b', { latencyMs: 100 })],
      expected: 'b',
    },
    {
      name: 'counts requests in flight: 100 ms with 3 in flight costs more than 300 ms idle',
      list: [candidate('a', { latencyMs: 100, inFlight: 3 }), candidate('b', { latencyMs: 300 })],
      expected: 'b',
    },
    {
      name: 'divides the cost by weight',
      list: [candidate('a', { latencyMs: 100 }), candidate('b', { latencyMs: 150, weight: 2 })],
      expected: 'b',
    },
    {
      name: 'assumes an unmeasured target is as fast as the best measured, not faster',
      list: [candidate('a', { latencyMs: 100 }), candidate('new', { inFlight: 1 })],
      expected: 'a',
    },
    {
      name: 'with nothing measured, picks by requests in flight',
      list: [candidate('a', { inFlight: 2 }), candidate('b', { inFlight: 1 })],
      expected: 'b',
    },
    {
      name: 'keeps charging for in-flight load when an estimate reads about 0',
      list: [candidate('a', { latencyMs: 0, inFlight: 100 }), candidate('b', { latencyMs: 50 })],
      expected: 'b',
    },
    {
      name: 'never picks a drained target however fast',
      list: [candidate('a', { latencyMs: 1, weight: 0 }), candidate('b', { latencyMs: 5_000, inFlight: 50 })],
      expected: 'b',
    },
  ])('$name', ({ list, expected }) => {
    const strategy = new ResponseTime();
    const ctx = pickContext({ rng: seededRng(9) });
    for (let i = 0; i < 50; i++) expect(strategy.pick(list, ctx)?.key).toBe(expected);
  });

  it.each([
    {
      name: 'explores an unmeasured target: it shares idle traffic evenly with the best measured one',
      list: [candidate('fast', { latencyMs: 100 }), candidate('new')],
      expected: { fast: 0.5, new: 0.5 },
    },
    {
      // Pairs drawn: (fast, slow) → fast, (fast, new) → coin flip, (slow, new) → new.
      name: 'lets an unmeasured target beat a slower measured one and tie with the fastest',
      list: [candidate('fast', { latencyMs: 100 }), candidate('slow', { latencyMs: 900 }), candidate('new')],
      expected: { fast: 0.5, new: 0.5 },
    },
  ])('$name', ({ list, expected }) => {
    const shares = pickShares(new ResponseTime(), list, 10_000, pickContext({ rng: seededRng(2) }));
    expect(shares.slow).toBeUndefined();
    for (const [key, share] of Object.entries(expected))
      expect(Math.abs((shares[key] ?? 0) - share)).toBeLessThan(0.02);
  });

  it.each([
    {
      name: 'sends sequential requests all to the faster provider',
      concurrency: 0,
      slowShare: 0,
      tolerance: 0,
    },
    // Equal cost when 100 ms × (a + 1) = 120 ms × (b + 1) with a + b = 20: b ≈ 9 in flight, about 45 %.
    {
      name: 'spills concurrent load to a slightly slower provider instead of herding',
      concurrency: 20,
      slowShare: 0.45,
      tolerance: 0.04,
    },
  ])('$name', ({ concurrency, slowShare, tolerance }) => {
    const list = [candidate('fast', { latencyMs: 100 }), candidate('slower', { latencyMs: 120 })];
    const shares = sharesUnderConcurrency(new ResponseTime(), list, { picks: 10_000, concurrency });
    expect(Math.abs((shares.slower ?? 0) - slowShare)).toBeLessThanOrEqual(tolerance);
  });

  it('returns nothing for an empty list or all-drained targets', () => {
    const strategy = new ResponseTime();
    expect(strategy.pick([], pickContext())).toBeUndefined();
    expect(strategy.pick([candidate('a', { weight: 0, latencyMs: 10 })], pickContext())).toBeUndefined();
  });
});
