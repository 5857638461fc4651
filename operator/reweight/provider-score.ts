/**
 * How good a provider was over the last reporting window, as one number (lower is better), from what every
 * sidecar measured: expected latency from the merged histogram, price, failures and 429s. Scores are in natural-log
 * units, so a score 0.69 higher means "about twice as bad"; the softmax in reweight.ts turns them into weights.
 */
import {
  histogramCount,
  histogramMean,
  logMeanStandardError,
  type HistogramCounts,
} from '../../core/latency-histogram.ts';
import { OBJECTIVE_MIX, type Objective } from '../../core/objective-mix.ts';

export type { Objective } from '../../core/objective-mix.ts';

/** One provider of a pool as the whole fleet saw it over the last window. */
export interface ProviderWindow {
  readonly name: string;
  /** The spec's weight; 0 drains the provider. */
  readonly configuredWeight: number;
  /** Attempts that got an answer or a provider-side failure (requests the client got wrong are not counted). */
  readonly attempts: number;
  /** Provider-side failures: 5xx, transport errors, timeouts, streams cut. */
  readonly failures: number;
  /** Mean time a failure took (ms); undefined when no sidecar reported it. */
  readonly failureMs?: number | undefined;
  /** 429 answers. */
  readonly rateLimited: number;
  /** Latency of successful attempts, merged across sidecars. */
  readonly latency: HistogramCounts;
  /** USD per million tokens, input and output blended as the traffic used them; undefined when unpriced. */
  readonly pricePerMillionTokens: number | undefined;
  /** Every sidecar that tried it has its breaker open: it takes no traffic until probes find it healthy. */
  readonly down: boolean;
}

export interface ScoreSettings {
  readonly objective: Objective;
  /** Attempts a score needs to stand on its own; with fewer it is blended with the provider's previous score. */
  readonly minSamples: number;
  /**
   * Scales the failure part of the score. A failed attempt is retried elsewhere, so it costs the client the time it
   * took: picking a provider whose attempts fail at rate r after f ms each, with successes taking L ms, makes the
   * expected time about L × (1 + r·f/L), and the score adds ln(1 + r·f/L) — a quick 500 costs little, a 30 s
   * timeout a lot. When no sidecar reported the failures' time, a failure is taken to cost a whole attempt (r).
   * Higher values shun a failing provider beyond its cost in time (the sidecars' health factor shuns frequent
   * failures however fast).
   */
  readonly failurePenalty: number;
  /** Added to the score per unit of 429 rate. */
  readonly rateLimitPenalty: number;
}

/** Mean latency and price of one measured provider. */
interface Measured {
  /** Undefined when no attempt succeeded. */
  readonly latencyMs: number | undefined;
  readonly penalty: number;
  /** Standard error of ln(latency)'s mean; 0 when unknown. */
  readonly latencyError: number;
}

function measure(p: ProviderWindow, settings: ScoreSettings): Measured | undefined {
  if (p.attempts === 0) return undefined;
  const latencyMs = histogramCount(p.latency) > 0 ? histogramMean(p.latency) : undefined;
  const failureRate = p.failures / p.attempts;
  const failureCost =
    latencyMs !== undefined && latencyMs > 0 && p.failureMs !== undefined
      ? Math.log1p((failureRate * p.failureMs) / latencyMs)
      : failureRate;
  const rateLimitRate = p.rateLimited / p.attempts;
  return {
    latencyMs: latencyMs === undefined ? undefined : Math.max(1, latencyMs),
    penalty: settings.failurePenalty * failureCost + settings.rateLimitPenalty * rateLimitRate,
    latencyError: logMeanStandardError(p.latency) ?? 0,
  };
}

export interface Score {
  /** Lower is better; comparable across rounds (absolute log latency, price relative to the cheapest). */
  readonly value: number;
  /** Attempts it rests on: below `minSamples` the caller blends it with what it knew before. */
  readonly samples: number;
  /** Standard error of the value from the latency measurement's spread (log units); 0 when unknown. */
  readonly error: number;
}

/** The price part of a score, ln(price / cheapest) × how much the objective counts price; 0 when unpriced. */
export function priceScores(providers: readonly ProviderWindow[], objective: Objective): number[] {
  const prices = providers
    .map((p) => p.pricePerMillionTokens)
    .filter((x): x is number => x !== undefined && x > 0);
  const bestPrice = prices.length > 0 ? Math.min(...prices) : undefined;
  const weight = OBJECTIVE_MIX[objective].cost;
  return providers.map((p) => {
    const price = p.pricePerMillionTokens;
    if (bestPrice === undefined || price === undefined) return 0;
    return weight * Math.log(Math.max(price, bestPrice) / bestPrice);
  });
}

/**
 * Scores of the providers (same order); `undefined` for one with no attempt in the window. Latency counts as
 * log(mean ms): a softmax does not care about a shift shared by all, so only ratios between providers matter,
 * and a score kept from an earlier round stays comparable with this round's.
 */
export function scoreProviders(
  providers: readonly ProviderWindow[],
  settings: ScoreSettings,
): (Score | undefined)[] {
  const measured = providers.map((p) => measure(p, settings));
  const known = measured.filter((m): m is Measured => m !== undefined);
  const latencies = known.map((m) => m.latencyMs).filter((l): l is number => l !== undefined);
  // A provider with no successful attempt has no latency of its own: it ranks as the slowest measured one.
  const worstLatency = latencies.length > 0 ? Math.max(...latencies) : 1;
  const costs = priceScores(providers, settings.objective);
  const mix = OBJECTIVE_MIX[settings.objective];
  return measured.map((m, i) => {
    if (m === undefined) return undefined;
    const latency = Math.log(m.latencyMs ?? worstLatency);
    return {
      value: mix.latency * latency + (costs[i] ?? 0) + m.penalty,
      samples: providers[i]?.attempts ?? 0,
      error: mix.latency * m.latencyError,
    };
  });
}
