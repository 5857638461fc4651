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
  /** Cross-provider latency factor (best / latency)^exponent: 0.5 (default): 4× slower gets half; 0 turns it off. */
  readonly latencyExponent?: number;
  /** Smallest latency factor, so a slow target keeps being measured. */
  readonly minLatencyFactor?: number;
  /** A target slower than its own usual by more than this ratio (see Candidate.slowdown) loses weight. */
  readonly slowdownThreshold?: number;
  /** How fast it loses it: the factor is e^(−sensitivity × (slowdown − threshold)). */
  readonly slowdownSensitivity?: number;
  /** Smallest slowdown factor, so a slowed target keeps a trickle and is seen to recover. */
  readonly minSlowdownFactor?: number;
  /**
   * When set, the slowdown factor is (slowdown / threshold)^(−exponent) above the threshold instead of the
   * exponential: the pool runtime sets it to the operator's own price of latency (the objective's latency
   * weight ÷ the softmax temperature), so a provider that turned k times slower than its usual loses, at once,
   * about the weight the operator would take from it a few rounds later (the threshold keeps the tail of normal
   * answers out). A cost pool's exponent is small: a slower cheap provider is still the cheap one.
   */
  readonly slowdownExponent?: number;
}

/**
 * Smooth weighted round-robin on weight × local health × slowdown factor. Under an operator `weight` carries the
 * cluster-wide weights, which already rank the providers by the pool's objective (latency, cost or both) from the
 * whole fleet's reports; this strategy lets a local fault react at once, without waiting for the next round:
 * failures through the health factor, and a provider turning slower than its own usual (a brown-out; a hang shows
 * through the age of the requests in flight before any slow answer comes) through the slowdown factor,
 * e^(−sensitivity × (slowdown − threshold)) above the threshold, floored so the provider is seen to recover.
 *
 * A provider slower than another leans traffic away by (best / latency)^latencyExponent on peak-EWMA latencies,
 * floored at `minLatencyFactor`: standalone, that is the only latency preference. The pool runtime sets the
 * exponent by the pool's objective (routing/pool-runtime.ts): 0 for `cost`, where the operator's ranking wants the
 * cheap, slow provider and the routing simulator (bench/routing) found the lean pulled such pools to expensive
 * providers.
 */
export class Adaptive implements Strategy {
  readonly name = 'adaptive' as const;
  private readonly health: ResolvedHealthOptions;
  private readonly latencyExponent: number;
  private readonly minLatencyFactor: number;
  private readonly slowdownThreshold: number;
  private readonly slowdownSensitivity: number;
  private readonly minSlowdownFactor: number;
  private readonly slowdownExponent: number | undefined;
  private readonly picker = new SmoothWeightedPicker();

  constructor(options: AdaptiveOptions = {}) {
    this.health = resolveHealthOptions(options);
    this.latencyExponent = options.latencyExponent ?? 0.5;
    this.minLatencyFactor = options.minLatencyFactor ?? 0.1;
    this.slowdownThreshold = options.slowdownThreshold ?? 1.5;
    this.slowdownSensitivity = options.slowdownSensitivity ?? 4;
    this.minSlowdownFactor = options.minSlowdownFactor ?? 0.001;
    this.slowdownExponent = options.slowdownExponent;
  }

  pick(candidates: readonly Candidate[], _ctx: PickContext): Candidate | undefined {
    // A probe the fleet asked for (sidecar/routing/slowdown-probe.ts) goes out whatever the weights say.
    const probe = candidates.find((c) => c.probeDue === true);
    if (probe !== undefined) return probe;
    const best = lowestMeasuredLatency(candidates);
    return this.picker.pick(
      candidates,
      (c) =>
        c.weight *
        healthFactor(c, this.health) *
        this.latencyFactor(c.latencyMs, best) *
        Math.min(this.slowdownFactor(c.slowdown), this.fleetSlowdownFactor(c.fleetSlowdown ?? 1)),
    );
  }

  /**
   * The fleet's slowdown has passed a quorum of sidecars (operator/slowdown/fleet-slowdowns.ts), so the threshold
   * that keeps one sidecar's tail answers out does not apply: a provider the fleet sees k times slower gets
   * k^(−exponent) of its weight, what the operator's softmax will take from it. At the threshold's discount a
   * fleet-wide 2× (the line at which sidecars report it) kept 5.6 % of the weight, and a provider holding most
   * of the pool's weight still took a sixth of the traffic while its requests hung (bench/routing's brown-out).
   * Without an exponent (no operator behind the weights) the exponential from 1.
   */
  private fleetSlowdownFactor(slowdown: number): number {
    if (!(slowdown > 1)) return 1;
    const factor =
      this.slowdownExponent === undefined
        ? Math.exp(-this.slowdownSensitivity * (slowdown - 1))
        : slowdown ** -this.slowdownExponent;
    return Math.max(this.minSlowdownFactor, factor);
  }

  private slowdownFactor(slowdown: number): number {
    const excess = slowdown - this.slowdownThreshold;
    if (!(excess > 0)) return 1;
    const factor =
      this.slowdownExponent === undefined
        ? Math.exp(-this.slowdownSensitivity * excess)
        : (slowdown / this.slowdownThreshold) ** -this.slowdownExponent;
    return Math.max(this.minSlowdownFactor, factor);
  }

  private latencyFactor(latencyMs: number | undefined, bestMs: number | undefined): number {
    if (latencyMs === undefined || bestMs === undefined) return 1;
    // A 1 ms floor keeps a near-zero estimate from dividing by zero.
    const ratio = Math.max(bestMs, 1) / Math.max(latencyMs, 1);
    return Math.max(this.minLatencyFactor, ratio ** this.latencyExponent);
  }
}
