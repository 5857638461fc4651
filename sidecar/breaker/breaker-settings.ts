/**
 * Tuning of one circuit breaker. Field names match the pool's `spec.breaker` (BreakerSpec), so a parsed spec can
 * be spread over the defaults; `halfOpenProbes` and `jitterRatio` are sidecar-side extras.
 */
export interface BreakerSettings {
  /** Failures in a row (while closed) that open the breaker. */
  readonly consecutiveFailures: number;
  /** Failure ratio over the window, in (0, 1], at or above which the breaker opens. */
  readonly failureRateThreshold: number;
  /** Outcomes the window must hold before its failure ratio may open the breaker. */
  readonly minRequests: number;
  /** Length of the sliding window over which the failure ratio is measured. */
  readonly windowMs: number;
  /** Open time after the breaker trips from closed. */
  readonly baseBackoffMs: number;
  /** Cap of the open time, which doubles on every failed probe. */
  readonly maxBackoffMs: number;
  /** Probe requests a half-open breaker lets through at the same time. */
  readonly halfOpenProbes: number;
  /** Successful probes that close a half-open breaker. */
  readonly successesToClose: number;
  /** Open time is spread by ±this share when the breaker has a random source, so a fleet does not probe in step. */
  readonly jitterRatio: number;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  consecutiveFailures: 5,
  failureRateThreshold: 0.5,
  minRequests: 20,
  windowMs: 30_000,
  baseBackoffMs: 5_000,
  maxBackoffMs: 300_000,
  halfOpenProbes: 1,
  successesToClose: 2,
  jitterRatio: 0.1,
};

/** Defaults overlaid with `overrides`; throws a RangeError when the result cannot work. */
export function breakerSettings(overrides: Partial<BreakerSettings> = {}): BreakerSettings {
  const s = { ...DEFAULT_BREAKER_SETTINGS, ...overrides };
  const problems: string[] = [];
  if (!(s.consecutiveFailures >= 1)) problems.push('consecutiveFailures must be ≥ 1');
  if (!(s.failureRateThreshold > 0 && s.failureRateThreshold <= 1)) {
    problems.push('failureRateThreshold must be in (0, 1]');
  }
  if (!(s.minRequests >= 1)) problems.push('minRequests must be ≥ 1');
  if (!(s.windowMs > 0)) problems.push('windowMs must be > 0');
  if (!(s.baseBackoffMs > 0)) problems.push('baseBackoffMs must be > 0');
  if (!(s.maxBackoffMs >= s.baseBackoffMs)) problems.push('maxBackoffMs must be ≥ baseBackoffMs');
  if (!(Number.isInteger(s.halfOpenProbes) && s.halfOpenProbes >= 1)) {
    problems.push('halfOpenProbes must be an integer ≥ 1');
  }
  if (!(s.successesToClose >= 1)) problems.push('successesToClose must be ≥ 1');
  if (!(s.jitterRatio >= 0 && s.jitterRatio < 1)) problems.push('jitterRatio must be in [0, 1)');
  if (problems.length > 0) throw new RangeError(`invalid breaker settings: ${problems.join('; ')}`);
  return s;
}
