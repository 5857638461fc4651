import type { Candidate, PickContext, Strategy } from '../types.ts';
import {
  healthFactor,
  resolveHealthOptions,
  type HealthOptions,
  type ResolvedHealthOptions,
} from './health.ts';
import { SmoothWeightedPicker } from './smooth-weighted-picker.ts';

/**
 * Smooth weighted round-robin on weight × health, where health falls with the target's decaying error rate
 * (see `healthFactor`). A failing target keeps a trickle of traffic, so as it recovers its error rate decays,
 * its health rises and its share returns to the configured ratio; a half-open target gets a probe share.
 */
export class HealthAware implements Strategy {
  readonly name = 'health-aware' as const;
  private readonly health: ResolvedHealthOptions;
  private readonly picker = new SmoothWeightedPicker();
  private readonly effectiveWeight = (candidate: Candidate): number =>
    candidate.weight * healthFactor(candidate, this.health);

  constructor(options: HealthOptions = {}) {
    this.health = resolveHealthOptions(options);
  }

  pick(candidates: readonly Candidate[], _ctx: PickContext): Candidate | undefined {
    return this.picker.pick(candidates, this.effectiveWeight);
  }
}
