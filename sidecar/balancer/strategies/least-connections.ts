import type { Candidate, PickContext, Strategy } from '../types.ts';
import { eligibleCandidates } from './eligible.ts';
import { pickLighterOfTwo } from './power-of-two-choices.ts';

const inFlightPerWeight = (candidate: Candidate): number => candidate.inFlight / candidate.weight;

/**
 * Weighted least-connections by power of two choices: of two random candidates, the one with fewer requests
 * in flight per unit of weight; a tie is a coin flip. Sampling two instead of scanning all keeps a fleet of
 * sidecars with the same stale view from all rushing to the same least-loaded target.
 */
export class LeastConnections implements Strategy {
  readonly name = 'least-connections' as const;

  pick(candidates: readonly Candidate[], ctx: PickContext): Candidate | undefined {
    return pickLighterOfTwo(eligibleCandidates(candidates), ctx.rng, inFlightPerWeight);
  }
}
