/**
 * The textbook versions of the seven strategies, as they are commonly written (and as the design notes say the
 * product must not be): simulator-only baselines, named `naive-<strategy>`. Each sees the providers' configured
 * weight and price and learns only from its own attempts.
 *
 * - round-robin: a counter modulo the list.
 * - weighted-round-robin: an expanded list (weight 3 → three entries), walked in order: bursts, not interleaving.
 * - least-connections: the fewest in flight, first in the list on a tie (every sidecar herds onto the same one).
 * - response-time: the mean of the last 100 response times, the minimum wins; an unmeasured provider counts as 0.
 * - cost-based: the lowest sum of input and output price, ignoring token counts and health.
 * - health-aware: a health flag set after 3 consecutive failures that never recovers; round-robin over the healthy.
 * - adaptive: weights × (1 − the provider's error rate since start, which never decays) ÷ its mean latency since
 *   start, picked at random.
 */
import type { Rng } from '../../core/clock.ts';
import type { StrategyName } from '../../sidecar/balancer/types.ts';
import type { Price } from '../../sidecar/balancer/types.ts';

export interface NaiveView {
  readonly name: string;
  readonly weight: number;
  readonly price: Price | undefined;
}

export interface NaiveStrategy {
  readonly name: `naive-${StrategyName}`;
  pick(providers: readonly NaiveView[], rng: Rng): NaiveView | undefined;
  started(provider: string): void;
  ended(provider: string, ok: boolean, latencyMs: number): void;
}

/** Bookkeeping the textbook strategies share: in flight, recent latencies, failures. */
class Observations {
  readonly inFlight = new Map<string, number>();
  readonly recent = new Map<string, number[]>();
  readonly attempts = new Map<string, number>();
  readonly failures = new Map<string, number>();
  readonly totalLatency = new Map<string, number>();
  readonly successes = new Map<string, number>();
  readonly consecutiveFailures = new Map<string, number>();

  started(p: string): void {
    this.inFlight.set(p, (this.inFlight.get(p) ?? 0) + 1);
  }

  ended(p: string, ok: boolean, latencyMs: number): void {
    this.inFlight.set(p, (this.inFlight.get(p) ?? 1) - 1);
    this.attempts.set(p, (this.attempts.get(p) ?? 0) + 1);
    if (ok) {
      const list = this.recent.get(p) ?? [];
      list.push(latencyMs);
      if (list.length > 100) list.shift();
      this.recent.set(p, list);
      this.totalLatency.set(p, (this.totalLatency.get(p) ?? 0) + latencyMs);
      this.successes.set(p, (this.successes.get(p) ?? 0) + 1);
      this.consecutiveFailures.set(p, 0);
    } else {
      this.failures.set(p, (this.failures.get(p) ?? 0) + 1);
      this.consecutiveFailures.set(p, (this.consecutiveFailures.get(p) ?? 0) + 1);
    }
  }
}

function minBy(providers: readonly NaiveView[], key: (p: NaiveView) => number): NaiveView | undefined {
  let best: NaiveView | undefined;
  let bestKey = Infinity;
  for (const p of providers) {
    const k = key(p);
    if (best === undefined || k < bestKey) {
      best = p;
      bestKey = k;
    }
  }
  return best;
}

abstract class Naive implements NaiveStrategy {
  abstract readonly name: `naive-${StrategyName}`;
  protected readonly seen = new Observations();
  abstract pick(providers: readonly NaiveView[], rng: Rng): NaiveView | undefined;
  started(p: string): void {
    this.seen.started(p);
  }
  ended(p: string, ok: boolean, latencyMs: number): void {
    this.seen.ended(p, ok, latencyMs);
  }
}

class NaiveRoundRobin extends Naive {
  readonly name = 'naive-round-robin' as const;
  #i = 0;
  pick(providers: readonly NaiveView[]): NaiveView | undefined {
    return providers[this.#i++ % Math.max(1, providers.length)];
  }
}

class NaiveWeightedRoundRobin extends Naive {
  readonly name = 'naive-weighted-round-robin' as const;
  #i = 0;
  pick(providers: readonly NaiveView[]): NaiveView | undefined {
    const expanded = providers.flatMap((p) => Array.from({ length: Math.round(p.weight) }, () => p));
    return expanded[this.#i++ % Math.max(1, expanded.length)];
  }
}

class NaiveLeastConnections extends Naive {
  readonly name = 'naive-least-connections' as const;
  pick(providers: readonly NaiveView[]): NaiveView | undefined {
    return minBy(providers, (p) => this.seen.inFlight.get(p.name) ?? 0);
  }
}

class NaiveResponseTime extends Naive {
  readonly name = 'naive-response-time' as const;
  pick(providers: readonly NaiveView[]): NaiveView | undefined {
    return minBy(providers, (p) => {
      const list = this.seen.recent.get(p.name);
      return list === undefined || list.length === 0 ? 0 : list.reduce((a, b) => a + b, 0) / list.length;
    });
  }
}

class NaiveCostBased extends Naive {
  readonly name = 'naive-cost-based' as const;
  pick(providers: readonly NaiveView[]): NaiveView | undefined {
    return minBy(providers, (p) =>
      p.price === undefined ? Infinity : p.price.inputPerMillionTokens + p.price.outputPerMillionTokens,
    );
  }
}

class NaiveHealthAware extends Naive {
  readonly name = 'naive-health-aware' as const;
  readonly #dead = new Set<string>();
  #i = 0;
  pick(providers: readonly NaiveView[]): NaiveView | undefined {
    const healthy = providers.filter((p) => !this.#dead.has(p.name));
    return healthy[this.#i++ % Math.max(1, healthy.length)];
  }
  override ended(p: string, ok: boolean, latencyMs: number): void {
    super.ended(p, ok, latencyMs);
    if ((this.seen.consecutiveFailures.get(p) ?? 0) >= 3) this.#dead.add(p);
  }
}

class NaiveAdaptive extends Naive {
  readonly name = 'naive-adaptive' as const;
  pick(providers: readonly NaiveView[], rng: Rng): NaiveView | undefined {
    const weights = providers.map((p) => {
      const attempts = this.seen.attempts.get(p.name) ?? 0;
      const errorRate = attempts === 0 ? 0 : (this.seen.failures.get(p.name) ?? 0) / attempts;
      const successes = this.seen.successes.get(p.name) ?? 0;
      const meanLatency = successes === 0 ? 1 : (this.seen.totalLatency.get(p.name) ?? 0) / successes;
      return (p.weight * Math.max(0, 1 - errorRate)) / Math.max(1, meanLatency);
    });
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) return providers[0];
    let x = rng() * total;
    for (const [i, w] of weights.entries()) {
      x -= w;
      if (x < 0) return providers[i];
    }
    return providers[providers.length - 1];
  }
}

export const NAIVE_STRATEGIES = {
  'naive-round-robin': () => new NaiveRoundRobin(),
  'naive-weighted-round-robin': () => new NaiveWeightedRoundRobin(),
  'naive-least-connections': () => new NaiveLeastConnections(),
  'naive-response-time': () => new NaiveResponseTime(),
  'naive-cost-based': () => new NaiveCostBased(),
  'naive-health-aware': () => new NaiveHealthAware(),
  'naive-adaptive': () => new NaiveAdaptive(),
} as const satisfies Record<`naive-${StrategyName}`, () => NaiveStrategy>;

export type NaiveName = keyof typeof NAIVE_STRATEGIES;
