import type { Candidate, PickContext, Strategy } from '../types.ts';
import { SmoothWeightedPicker } from './smooth-weighted-picker.ts';

const configuredWeight = (candidate: Candidate): number => candidate.weight;

/** Smooth weighted round-robin over the configured weights; deterministic, ties go to list order. */
export class WeightedRoundRobin implements Strategy {
  readonly name = 'weighted-round-robin' as const;
  private readonly picker = new SmoothWeightedPicker();

  pick(candidates: readonly Candidate[], _ctx: PickContext): Candidate | undefined {
    return this.picker.pick(candidates, configuredWeight);
  }
}
