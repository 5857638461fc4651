import { describe, expect, it } from '@jest/globals';
import { seededRng } from '../../core/clock.ts';
import { NAIVE_STRATEGIES, type NaiveView } from './naive-strategies.ts';

const views: NaiveView[] = [
  { name: 'a', weight: 3, price: { inputPerMillionTokens: 1, outputPerMillionTokens: 4 } },
  { name: 'b', weight: 1, price: { inputPerMillionTokens: 2, outputPerMillionTokens: 1 } },
];
const picks = (
  name: keyof typeof NAIVE_STRATEGIES,
  n: number,
  feed?: (s: ReturnType<(typeof NAIVE_STRATEGIES)[typeof name]>) => void,
) => {
  const s = NAIVE_STRATEGIES[name]();
  feed?.(s);
  const rng = seededRng(1);
  return Array.from({ length: n }, () => s.pick(views, rng)?.name ?? '-').join('');
};

describe('the textbook strategies, as commonly written', () => {
  it.each([
    {
      name: 'weighted round-robin walks an expanded list: bursts, not interleaving',
      strategy: 'naive-weighted-round-robin' as const,
      expected: 'aaabaaab',
    },
    { name: 'round-robin cycles the list', strategy: 'naive-round-robin' as const, expected: 'abababab' },
    {
      name: 'cost-based ranks by the sum of input and output price, ignoring the token mix',
      strategy: 'naive-cost-based' as const,
      expected: 'bbbbbbbb',
    },
    {
      name: 'response-time herds onto the lowest mean of the last 100 response times',
      strategy: 'naive-response-time' as const,
      feed: (s: { ended: (p: string, ok: boolean, ms: number) => void }) => {
        s.ended('a', true, 100);
        s.ended('b', true, 90);
      },
      expected: 'bbbbbbbb',
    },
    {
      name: 'health-aware drops a provider after 3 failures in a row and never takes it back',
      strategy: 'naive-health-aware' as const,
      feed: (s: { ended: (p: string, ok: boolean, ms: number) => void }) => {
        for (let i = 0; i < 3; i++) s.ended('a', false, 10);
        for (let i = 0; i < 100; i++) s.ended('b', true, 10);
      },
      expected: 'bbbbbbbb',
    },
  ])('$name', ({ strategy, feed, expected }) => {
    expect(picks(strategy, 8, feed)).toBe(expected);
  });
});
