import type { Rng } from '../../../core/clock.ts';
import type { Candidate } from '../types.ts';

/**
 * Power of two choices: compares the load of two distinct random candidates (both when there are only two)
 * and returns the lighter; equal loads are settled by a coin flip so ties do not always favour list order.
 */
export function pickLighterOfTwo(
  candidates: readonly Candidate[],
  rng: Rng,
  load: (candidate: Candidate) => number,
): Candidate | undefined {
  const n = candidates.length;
  if (n <= 1) return candidates[0];
  let first = 0;
  let second = 1;
  if (n > 2) {
    first = Math.floor(rng() * n);
    second = Math.floor(rng() * (n - 1));
    if (second >= first) second += 1;
  }
  const a = candidates[first];
  const b = candidates[second];
  if (a === undefined || b === undefined) return a ?? b;
  const loadA = load(a);
  const loadB = load(b);
  if (loadA < loadB) return a;
  if (loadB < loadA) return b;
  return rng() < 0.5 ? a : b;
}
