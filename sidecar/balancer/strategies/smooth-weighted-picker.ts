import type { Candidate } from '../types.ts';

interface Credit {
  value: number;
  /** The last pick this key took part in. */
  round: number;
  /** Its weight at that pick. */
  weight: number;
}

/**
 * Smooth weighted round-robin as nginx does it: every participant gains its weight in credit, the one with the
 * most credit (first in candidate order on a tie) is picked and pays back the total. Picks interleave
 * (5:1:1 gives a a b a c a a, not a a a a a b c), weights may be fractional and may change between picks.
 *
 * Credit is kept by candidate key, so a list that gains or loses members keeps the standing of those that stay.
 * A key that sits out a pick (absent, or weight ≤ 0) loses its credit and rejoins at zero.
 *
 * When weights change, credit keeps its meaning: it is a number of picks owed (or, negative, run ahead), counted in
 * units of the total weight, so it is rescaled with the total; and picks a key is owed from before its weight fell
 * by more than half are owed at the new weight (scaled by the fall), since the share they were earned at no longer
 * holds. Without it, a key whose weight fell a thousandfold at once (a provider the fleet saw turn slow) kept the
 * credit it earned at the old weight and the others their debts run up at the old total, so it was picked again
 * until that was paid back at the new, far smaller total: one to five more picks in every sidecar (bench/routing's
 * brown-out). Steady weights are left as they are, and small swings in either direction too (owed picks never
 * grow with a weight, and shrink only when it more than halves), so a key whose weight wobbles is not starved.
 */
export class SmoothWeightedPicker {
  private readonly credits = new Map<string, Credit>();
  private round = 0;
  /** The total weight at the last pick. */
  private lastTotal = 0;
  /** This pick's weights, by candidate index (reused: the picker runs on every request). */
  private readonly weights: number[] = [];

  /** `weightOf` gives each candidate's weight for this pick; ≤ 0 or non-finite leaves it out. */
  pick(candidates: readonly Candidate[], weightOf: (candidate: Candidate) => number): Candidate | undefined {
    this.round += 1;
    let total = 0;
    let participants = 0;
    const weights = this.weights;
    weights.length = candidates.length;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i];
      const weight = candidate === undefined ? 0 : weightOf(candidate);
      const counts = weight > 0 && Number.isFinite(weight);
      weights[i] = counts ? weight : 0;
      if (counts) total += weight;
    }
    const totalScale = this.lastTotal > 0 ? total / this.lastTotal : 1;
    let best: Candidate | undefined;
    let bestCredit: Credit | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i];
      const weight = weights[i] ?? 0;
      if (candidate === undefined || !(weight > 0)) continue;
      let credit = this.credits.get(candidate.key);
      if (credit === undefined || credit.round !== this.round - 1) {
        credit = { value: 0, round: 0, weight };
        this.credits.set(candidate.key, credit);
      } else {
        const fell = credit.value > 0 && weight < credit.weight / 2 ? weight / credit.weight : 1;
        credit.value *= fell * totalScale;
      }
      credit.value += weight;
      credit.weight = weight;
      credit.round = this.round;
      participants += 1;
      if (bestCredit === undefined || credit.value > bestCredit.value) {
        best = candidate;
        bestCredit = credit;
      }
    }
    if (bestCredit === undefined) return undefined;
    this.lastTotal = total;
    bestCredit.value -= total;
    if (this.credits.size > participants) this.forgetAbsent();
    return best;
  }

  private forgetAbsent(): void {
    for (const [key, credit] of this.credits) {
      if (credit.round !== this.round) this.credits.delete(key);
    }
  }
}
