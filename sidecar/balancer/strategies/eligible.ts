import type { Candidate } from '../types.ts';

/** A candidate may be picked only with a finite weight above 0; weight 0 drains a target. */
export function isEligible(candidate: Candidate): boolean {
  return candidate.weight > 0 && Number.isFinite(candidate.weight);
}

/** The eligible candidates, in order; the input itself when all are eligible (the common case, no copy). */
export function eligibleCandidates(candidates: readonly Candidate[]): readonly Candidate[] {
  return candidates.every(isEligible) ? candidates : candidates.filter(isEligible);
}

/** The lowest latency estimate among eligible candidates, undefined when none has been measured. */
export function lowestMeasuredLatency(candidates: readonly Candidate[]): number | undefined {
  let lowest: number | undefined;
  for (const c of candidates) {
    if (c.latencyMs === undefined || !isEligible(c)) continue;
    if (lowest === undefined || c.latencyMs < lowest) lowest = c.latencyMs;
  }
  return lowest;
}
