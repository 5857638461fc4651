import type { Candidate, PickContext, Strategy } from '../types.ts';
import { lowestMeasuredLatency } from './eligible.ts';
import {
  healthFactor,
  resolveHealthOptions,
  type HealthOptions,
  type ResolvedHealthOptions,
} from './health.ts';
import { SmoothWeightedPicker } from './smooth-weighted-picker.ts';

export interface AdaptiveOptions extends HealthOptions {
  /** Damping of the latency factor (best / latency)^exponent: 0.5 means 4× slower gets half the weight. */
  readonly latencyExponent?: number;
  /** Smallest latency factor, so a slow target keeps being measured. */
  readonly minLatencyFactor?: number;
}

/**
 * Smooth weighted round-robin on weight × local health × latency factor. `weight` is the configured weight
 * today; once the operator pushes cluster-wide weights it will carry those, and this strategy lets a local
 * fault (failures, a latency spike) react at once without waiting for the next reweighting round.
 *
 * The latency factor compares each target's peak-EWMA latency with the best measured among the candidates,
 * damped and floored so traffic leans toward faster targets without herding; an unmeasured target gets 1.
 */
export class Adaptive implements Strategy {
  readonly name = 'adaptive' as const;
  private readonly health: ResolvedHealthOptions;
  private readonly latencyExponent: number;
  private readonly minLatencyFactor: number;
  private readonly picker = new SmoothWeightedPicker();

  constructor(options: AdaptiveOptions = {}) {
    this.health = resolveHealthOptions(options);
    this.latencyExponent = options.latencyExponent ?? 0.5;
    this.minLatencyFactor = options.minLatencyFactor ?? 0.1;
  }

  pick(candidates: readonly Candidate[], _ctx: PickContext): Candidate | undefined {
    const best = lowestMeasuredLatency(candidates);
    return this.picker.pick(
      candidates,
      (c) => c.weight * healthFactor(c, this.health) * this.latencyFactor(c.latencyMs, best),
    );
  }

  private latencyFactor(latencyMs: number | undefined, bestMs: number | undefined): number {
    if (latencyMs === undefined || bestMs === undefined) return 1;
    // A 1 ms floor keeps a near-zero estimate from dividing by zero.
    const ratio = Math.max(bestMs, 1) / Math.max(latencyMs, 1);
    return Math.max(this.minLatencyFactor, ratio ** this.latencyExponent);
  }
}
