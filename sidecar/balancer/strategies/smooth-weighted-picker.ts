import type { Candidate } from '../types.ts';

interface Credit {
  value: number;
  /** The last pick this key took part in. */
  round: number;
}

/**
 * Smooth weighted round-robin as nginx does it: every participant gains its weight in credit, the one with the
 * most credit (first in candidate order on a tie) is picked and pays back the total. Picks interleave
 * (5:1:1 gives a a b a c a a, not a a a a a b c), weights may be fractional and may change between picks.
 *
 * Credit is kept by candidate key, so a list that gains or loses members keeps the standing of those that stay.
 * A key that sits out a pick (absent, or weight ≤ 0) loses its credit and rejoins at zero.
 */
export class SmoothWeightedPicker {
  private readonly credits = new Map<string, Credit>();
  private round = 0;

  /** `weightOf` gives each candidate's weight for this pick; ≤ 0 or non-finite leaves it out. */
  pick(candidates: readonly Candidate[], weightOf: (candidate: Candidate) => number): Candidate | undefined {
    this.round += 1;
    let total = 0;
    let participants = 0;
    let best: Candidate | undefined;
    let bestCredit: Credit | undefined;
    for (const candidate of candidates) {
      const weight = weightOf(candidate);
      if (!(weight > 0) || !Number.isFinite(weight)) continue;
      let credit = this.credits.get(candidate.key);
      if (credit === undefined || credit.round !== this.round - 1) {
        credit = { value: 0, round: 0 };
        this.credits.set(candidate.key, credit);
      }
      credit.value += weight;
      credit.round = this.round;
      total += weight;
      participants += 1;
      if (bestCredit === undefined || credit.value > bestCredit.value) {
        best = candidate;
        bestCredit = credit;
      }
    }
    if (bestCredit === undefined) return undefined;
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
