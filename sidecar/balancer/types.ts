import type { Rng } from '../../core/clock.ts';

import type { StrategyName } from '../../api/v1alpha1/providerpool.ts';

export { STRATEGY_NAMES, type StrategyName } from '../../api/v1alpha1/providerpool.ts';

/** USD per million tokens. */
export interface Price {
  readonly inputPerMillionTokens: number;
  readonly outputPerMillionTokens: number;
}

/**
 * What a strategy sees of one routable target (a provider serving the requested logical model).
 * Targets whose breaker is open, that are cooling down after a 429, or are otherwise excluded are
 * filtered out before a strategy is asked, so every candidate may be picked.
 */
export interface Candidate {
  /** Stable identity of the target across config reloads: `${provider}/${logicalModel}`. */
  readonly key: string;
  readonly provider: string;
  /** Configured weight (≥ 0, fractional allowed; 0 drains). Later multiplied by operator weights. */
  readonly weight: number;
  /** Requests to this target started and not yet finished. */
  readonly inFlight: number;
  /** Decaying peak-EWMA latency in ms; undefined until the first response was measured. */
  readonly latencyMs: number | undefined;
  /** Decaying failure ratio in [0, 1]; 0 with no data. */
  readonly errorRate: number;
  /**
   * How much slower than its own usual this target answers now: recent latency (or, while requests hang, their
   * mean age) over its long-run latency; 1 as usual and with no data (see TargetStats.slowdown).
   */
  readonly slowdown: number;
  /**
   * The slowdown the fleet agrees on (a quorum of sidecars sees it; sidecar/routing/fleet-slowdown.ts): 1, or
   * absent, when there is none. Kept apart from `slowdown` because it is already past the noise a single sidecar's
   * reading has, so the adaptive strategy prices it without the threshold it keeps for its own.
   */
  readonly fleetSlowdown?: number;
  /**
   * True when this first attempt is due to probe the target while the fleet holds it slow
   * (sidecar/routing/slowdown-probe.ts): the adaptive strategy sends it there, so the fleet sees it recover.
   */
  readonly probeDue?: boolean;
  /** True while the target's breaker is half-open: it may take probes, not full traffic. */
  readonly probing: boolean;
  /** Price of the provider model behind this target; undefined when the pool gives none. */
  readonly price: Price | undefined;
}

export interface PickContext {
  readonly now: number;
  readonly rng: Rng;
  /** Token estimate for this request (input from the prompt, output from max_tokens or a default). */
  readonly tokens: { readonly input: number; readonly output: number };
}

/**
 * A routing policy. `pick` does no I/O and reads time and randomness only from its context; a strategy
 * may keep deterministic internal state (a cursor, smooth-WRR current weights) keyed by candidate key.
 */
export interface Strategy {
  readonly name: StrategyName;
  pick(candidates: readonly Candidate[], ctx: PickContext): Candidate | undefined;
}
