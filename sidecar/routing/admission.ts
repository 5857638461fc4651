/**
 * The admission gate of one target: may it take traffic now, and if not, why and until when. Pure: reads the
 * provider's state at `now` (a breaker's open phase ends by time alone), changes nothing.
 */
import type { Target } from './target.ts';
import { quotaBlocked } from '../quota/target-quota.ts';

export interface Blocked {
  /** For the 503 message, e.g. "circuit breaker open". */
  readonly why: string;
  /** When this block ends, when that is known. */
  readonly until: number | undefined;
  /** Set when the block is this sidecar's quota share: the request still counts as demand for the provider. */
  readonly quota?: true;
}

/**
 * Undefined when `t` may take traffic; else its first block: drained, cooling down, budget used up, open, this
 * sidecar's quota share used up, full.
 */
export function admission(t: Target, now: number): Blocked | undefined {
  const p = t.provider;
  if (t.weight === 0) return { why: 'drained (weight 0)', until: undefined };
  if (p.cooldown.isCoolingDown(now)) {
    return { why: 'rate limited (cooling down)', until: p.cooldown.coolingUntil ?? now };
  }
  const exhaustedUntil = p.rateLimits.exhaustedUntil(now);
  if (exhaustedUntil !== undefined)
    return { why: 'rate limit used up until it resets', until: exhaustedUntil };
  const reopensAt = p.breaker.nextChangeAt(now);
  if (reopensAt !== undefined) return { why: 'circuit breaker open', until: reopensAt };
  const quota = quotaBlocked(t, now);
  if (quota) return { ...quota, quota: true };
  if (p.saturated) return { why: 'at its in-flight limit', until: undefined };
  return undefined;
}

/** When every time-bound block of `t` has ended (the latest deadline of all); `now` when none holds it back. */
export function blockedUntil(t: Target, now: number): number {
  const p = t.provider;
  let until = now;
  if (p.cooldown.isCoolingDown(now)) until = Math.max(until, p.cooldown.coolingUntil ?? now);
  until = Math.max(until, p.rateLimits.exhaustedUntil(now) ?? now);
  until = Math.max(until, p.breaker.nextChangeAt(now) ?? now);
  until = Math.max(until, quotaBlocked(t, now)?.until ?? now);
  return until;
}
