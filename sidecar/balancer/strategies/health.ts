import type { Candidate } from '../types.ts';

export interface HealthOptions {
  /** Smallest health factor, so a failing target keeps a trickle of traffic and is seen to recover. */
  readonly minHealth?: number;
  /** Health factor of a target whose breaker is half-open: a probe share of its weight. */
  readonly probeHealth?: number;
}

export type ResolvedHealthOptions = Required<HealthOptions>;

export function resolveHealthOptions(options: HealthOptions = {}): ResolvedHealthOptions {
  return { minHealth: options.minHealth ?? 0.05, probeHealth: options.probeHealth ?? 0.1 };
}

/**
 * How much of its weight a target should get given its local health, in [minHealth, 1]:
 * (1 - errorRate)², so 10 % failures cost 19 % of the share and 50 % cost 75 %; a probing target gets
 * `probeHealth` (the breaker limits how many probes actually go out).
 */
export function healthFactor(candidate: Candidate, options: ResolvedHealthOptions): number {
  if (candidate.probing) return options.probeHealth;
  const successRate = 1 - Math.min(1, Math.max(0, candidate.errorRate));
  return Math.max(options.minHealth, successRate * successRate);
}
