import { describe, expect, it } from '@jest/globals';
import { seededRng } from '../../../core/clock.ts';
import { LeastConnections } from './least-connections.ts';
import { candidate, pickContext, pickShares, sharesUnderConcurrency } from './test-candidates.ts';

const noRandomness = () => {
  throw new Error('rng must not be called');
};

describe('least-connections (power of two choices)', () => {
  it.each([
    { name: 'returns nothing for an empty list', list: [], expected: undefined },
    {
      name: 'returns the only candidate without drawing randomness',
      list: [candidate('a', { inFlight: 9 })],
      expected: 'a',
    },
    {
      name: 'returns the only eligible candidate when the other is drained',
      list: [candidate('a', { weight: 0 }), candidate('b', { inFlight: 9 })],
      expected: 'b',
    },
    {
      name: 'with two candidates picks the one with fewer requests in flight',
      list: [candidate('a', { inFlight: 3 }), candidate('b', { inFlight: 2 })],
      expected: 'b',
    },
    {
      name: 'compares requests in flight per unit of weight',
      list: [candidate('a', { inFlight: 2, weight: 1 }), candidate('b', { inFlight: 3, weight: 2 })],
      expected: 'b',
    },
  ])('$name', ({ list, expected }) => {
    const rng = list.length <= 1 ? noRandomness : seededRng(3);
    for (let i = 0; i < 20; i++)
      expect(new LeastConnections().pick(list, pickContext({ rng }))?.key).toBe(expected);
  });

  it.each([
    { name: 'breaks a tie between two idle targets at random', list: [candidate('a'), candidate('b')] },
    {
      name: 'breaks a tie in load per weight at random',
      list: [candidate('a', { inFlight: 4, weight: 2 }), candidate('b', { inFlight: 2, weight: 1 })],
    },
  ])('$name', ({ list }) => {
    const shares = pickShares(new LeastConnections(), list, 10_000, pickContext({ rng: seededRng(11) }));
    expect(shares.a).toBeCloseTo(0.5, 1);
    expect(Math.abs((shares.a ?? 0) - 0.5)).toBeLessThan(0.02);
  });

  it('with five targets samples two distinct ones: the idle one wins the 40 % of picks it is drawn into, the busiest never wins', () => {
    const list = [0, 1, 2, 3, 4].map((n) => candidate(`t${n}`, { inFlight: n }));
    const shares = pickShares(new LeastConnections(), list, 20_000, pickContext({ rng: seededRng(5) }));
    // P(drawn into a pair of distinct targets) = 1 - C(4,2)/C(5,2) = 0.4; t1 wins against t2..t4: 3/10.
    expect(shares.t0).toBeGreaterThan(0.38);
    expect(shares.t0).toBeLessThan(0.42);
    expect(shares.t1).toBeGreaterThan(0.28);
    expect(shares.t1).toBeLessThan(0.32);
    expect(shares.t4).toBeUndefined();
  });

  it.each([
    {
      name: 'under sustained concurrency holds equal weights at 50 % / 50 %',
      weights: [1, 1],
      expected: 0.5,
    },
    {
      name: 'under sustained concurrency splits weights 3:1 near 75 % / 25 %',
      weights: [3, 1],
      expected: 0.75,
    },
  ])('$name', ({ weights, expected }) => {
    const list = weights.map((weight, i) => candidate(`t${i}`, { weight }));
    const shares = sharesUnderConcurrency(new LeastConnections(), list, { picks: 10_000, concurrency: 40 });
    expect(Math.abs((shares.t0 ?? 0) - expected)).toBeLessThan(0.03);
  });
});
