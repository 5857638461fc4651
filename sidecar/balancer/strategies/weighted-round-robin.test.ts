import { describe, expect, it } from '@jest/globals';
import type { Candidate } from '../types.ts';
import { WeightedRoundRobin } from './weighted-round-robin.ts';
import { candidate, pickSequence, pickShares } from './test-candidates.ts';

function weighted(weights: Record<string, number>): Candidate[] {
  return Object.entries(weights).map(([key, weight]) => candidate(key, { weight }));
}

describe('weighted-round-robin (smooth)', () => {
  it.each<{ name: string; weights: Record<string, number>; expected: string }>([
    { name: 'interleaves 5:1:1 as nginx does', weights: { a: 5, b: 1, c: 1 }, expected: 'aabacaa'.repeat(2) },
    { name: 'alternates 2:1 without bunching', weights: { a: 2, b: 1 }, expected: 'abaaba' },
    { name: 'cycles equal weights in list order', weights: { a: 1, b: 1, c: 1 }, expected: 'abcabc' },
    {
      name: 'accepts fractional weights (0.5 : 1.5)',
      weights: { a: 0.5, b: 1.5 },
      expected: 'babb'.repeat(3),
    },
    { name: 'drains a weight-0 target', weights: { a: 1, b: 0, c: 1 }, expected: 'acacac' },
    { name: 'treats a negative weight as drained', weights: { a: 1, b: -1 }, expected: 'aaa' },
  ])('$name', ({ weights, expected }) => {
    expect(pickSequence(new WeightedRoundRobin(), weighted(weights), expected.length).join('')).toBe(
      expected,
    );
  });

  it.each<{ name: string; weights: Record<string, number>; expected: Record<string, number> }>([
    { name: 'splits 3:1 as 75 % / 25 %', weights: { a: 3, b: 1 }, expected: { a: 0.75, b: 0.25 } },
    { name: 'splits 0.5 : 1.5 as 25 % / 75 %', weights: { a: 0.5, b: 1.5 }, expected: { a: 0.25, b: 0.75 } },
    {
      name: 'splits 0.1 : 0.2 : 0.7 by weight',
      weights: { a: 0.1, b: 0.2, c: 0.7 },
      expected: { a: 0.1, b: 0.2, c: 0.7 },
    },
  ])('$name', ({ weights, expected }) => {
    const shares = pickShares(new WeightedRoundRobin(), weighted(weights), 10_000);
    for (const [key, share] of Object.entries(expected)) expect(shares[key]).toBeCloseTo(share, 3);
  });

  it('keeps the standing of targets that stay when another leaves (state is keyed, not indexed)', () => {
    const wrr = new WeightedRoundRobin();
    const [a, b, c] = weighted({ a: 1, b: 1, c: 1 });
    if (!a || !b || !c) throw new Error('unreachable');
    expect(pickSequence(wrr, [a, b, c], 1).join('')).toBe('a');
    // a took the first turn and leaves: b and c are owed a third of a pick each, so b comes first by list order
    // (credit kept by index would hand b, now first in the list, a's debt, and give c the first turn).
    expect(pickSequence(wrr, [b, c], 4).join('')).toBe('bcbc');
  });

  it('lets a target that sat out rejoin at zero credit', () => {
    const wrr = new WeightedRoundRobin();
    const [a, b] = weighted({ a: 2, b: 1 });
    if (!a || !b) throw new Error('unreachable');
    expect(pickSequence(wrr, [a, b], 1).join('')).toBe('a');
    expect(pickSequence(wrr, [b], 1).join('')).toBe('b');
    // With its old credit (-1 + 2) a would lose to b (1 + 1); rejoining at 0 it ties at 2 and wins on order.
    expect(pickSequence(wrr, [a, b], 3).join('')).toBe('aba');
  });

  it('keeps exact shares over a long run of fractional weights', () => {
    const shares = pickShares(new WeightedRoundRobin(), weighted({ a: 0.3, b: 0.7 }), 100_000);
    expect(shares.a).toBeCloseTo(0.3, 4);
  });

  it.each([
    { name: 'returns nothing for an empty list', list: [] },
    { name: 'returns nothing when every weight is 0', list: weighted({ a: 0, b: 0 }) },
  ])('$name', ({ list }) => {
    expect(pickSequence(new WeightedRoundRobin(), list, 1)).toEqual(['-']);
  });
});
