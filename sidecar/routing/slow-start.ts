import type { BreakerState } from '../breaker/circuit-breaker.ts';

/** The share a provider starts with when its breaker has just closed (Envoy's slow start: min weight 10 %). */
export const SLOW_START_MIN_SHARE = 0.1;

/**
 * The factor on a provider's weight while it slow-starts: after its breaker closed again on successful probes, its
 * share ramps up linearly from SLOW_START_MIN_SHARE to 1 over `windowMs`, so a recovered provider is not flooded
 * with the traffic that went elsewhere while it was down. 1 otherwise (and with `windowMs` 0). Pure.
 */
export function slowStartFactor(state: BreakerState, now: number, windowMs: number): number {
  if (windowMs <= 0 || state.phase !== 'closed' || state.reason !== 'probes-succeeded') return 1;
  const elapsed = now - state.since;
  if (elapsed >= windowMs) return 1;
  return Math.max(SLOW_START_MIN_SHARE, elapsed / windowMs);
}
