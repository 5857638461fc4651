import { describe, expect, it } from '@jest/globals';
import type { Candidate } from '../types.ts';
import { SmoothWeightedPicker } from './smooth-weighted-picker.ts';
import { candidate } from './test-candidates.ts';

/** Picks `count` times with the given weights (by key), returning the keys picked in order. */
function picks(picker: SmoothWeightedPicker, weights: Record<string, number>, count: number): string {
  const list: Candidate[] = Object.keys(weights).map((key) => candidate(key));
  let out = '';
  for (let i = 0; i < count; i++) out += picker.pick(list, (c) => weights[c.key] ?? 0)?.key ?? '-';
  return out;
}

interface Row {
  readonly name: string;
  readonly before: Record<string, number>;
  /** Picks made at the weights before. */
  readonly warmUp: number;
  readonly after: Record<string, number>;
  readonly afterPicks: number;
  readonly check: (picked: string) => void;
}

describe('the smooth weighted picker when a weight changes', () => {
  it.each<Row>([
    {
      name: 'does not pick a key again on the credit it saved before its weight fell a thousandfold',
      before: { a: 8, b: 1, c: 1 },
      warmUp: 4,
      after: { a: 0.008, b: 1, c: 1 },
      afterPicks: 40,
      // At 8:1:1 the first four picks leave a with 2 of credit (aaab); at its old credit it would take a turn
      // in the next few picks, scaled with its weight it waits for its thousandth.
      check: (seq) => expect(seq).not.toContain('a'),
    },
    {
      name: 'counts a debt in picks when the total changes: a key just picked waits its full turn at the new split',
      before: { a: 1, b: 1 },
      warmUp: 1,
      after: { a: 1, b: 3 },
      afterPicks: 4,
      // The one pick at 1:1 (a) ran half a pick ahead; at 1:3 that is three of b's before a's next (at the old
      // total's scale a would come back after two).
      check: (seq) => expect(seq).toBe('bbba'),
    },
    {
      name: 'does not starve a key whose weight wobbles by a few percent from pick to pick',
      before: { a: 0.1, b: 0.9 },
      warmUp: 0,
      after: { a: 0.1, b: 0.9 },
      afterPicks: 0,
      check: () => {
        const picker = new SmoothWeightedPicker();
        const list = [candidate('a'), candidate('b')];
        let a = 0;
        for (let i = 0; i < 10_000; i++) {
          const wobble = i % 2 === 0 ? 1.05 : 0.95;
          if (picker.pick(list, (c) => (c.key === 'a' ? 0.1 * wobble : 0.9))?.key === 'a') a++;
        }
        expect(a / 10_000).toBeCloseTo(0.1, 2);
      },
    },
    {
      name: 'keeps the exact shares of steady weights',
      before: { a: 0.3, b: 0.7 },
      warmUp: 1,
      after: { a: 0.3, b: 0.7 },
      afterPicks: 10_000,
      check: (seq) => expect([...seq].filter((k) => k === 'a').length).toBe(3_000),
    },
    {
      name: 'gives a key whose weight came back a thousandfold its share at once, without a burst',
      before: { a: 0.001, b: 1 },
      warmUp: 3,
      after: { a: 1, b: 1 },
      afterPicks: 4,
      check: (seq) => expect(seq).toBe('abab'),
    },
  ])('$name', ({ before, warmUp, after, afterPicks, check }) => {
    const picker = new SmoothWeightedPicker();
    picks(picker, before, warmUp);
    check(picks(picker, after, afterPicks));
  });
});
