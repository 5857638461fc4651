/**
 * The admission gate of one target: may it take traffic now, and if not, why, until when, and whether the block is
 * the whole provider's or this (provider, model)'s own. Pure: reads the provider's and the target's state at `now`
 * (a breaker's open phase ends by time alone), changes nothing.
 */
import type { FaultScope } from '../proxy/judge-outcome.ts';
import type { Target } from './target.ts';
import { quotaBlocked } from '../quota/target-quota.ts';

export interface Blocked {
  /** For the 503 message, e.g. "circuit breaker open". */
  readonly why: string;
  /** When this block ends, when that is known. */
  readonly until: number | undefined;
  /** Whose block it is: the provider's (every model of it) or this target's alone. */
  readonly scope: FaultScope;
  /** Set when the block is this sidecar's quota share: the request still counts as demand for the provider. */
  readonly quota?: true;
}

/**
 * Undefined when `t` may take traffic; else its first block: drained, the provider cooling down, the model cooling
 * down, budget used up, the provider's breaker open, the model's breaker open, this sidecar's quota share used up,
 * full.
 */
export function admission(t: Target, now: number): Blocked | undefined {
  const p = t.provider;
  const h = t.health;
  if (t.weight === 0) return { why: 'drained (weight 0)', until: undefined, scope: 'target' };
  if (p.cooldown.isCoolingDown(now)) {
    return { why: 'rate limited (cooling down)', until: p.cooldown.coolingUntil ?? now, scope: 'provider' };
  }
  if (h.cooldown.isCoolingDown(now)) {
    return {
      why: `model ${t.logicalModel} rate limited (cooling down)`,
      until: h.cooldown.coolingUntil ?? now,
      scope: 'target',
    };
  }
  const exhaustedUntil = p.rateLimits.exhaustedUntil(now);
  if (exhaustedUntil !== undefined)
    return { why: 'rate limit used up until it resets', until: exhaustedUntil, scope: 'provider' };
  const reopensAt = p.breaker.nextChangeAt(now);
  if (reopensAt !== undefined) return { why: 'circuit breaker open', until: reopensAt, scope: 'provider' };
  const modelReopensAt = h.breaker.nextChangeAt(now);
  if (modelReopensAt !== undefined)
    return { why: `model ${t.logicalModel} circuit breaker open`, until: modelReopensAt, scope: 'target' };
  const quota = quotaBlocked(t, now);
  // Only the model's own limit holds it back when the provider's budget is open.
  if (quota)
    return { ...quota, scope: p.quota.blocked(now) === undefined ? 'target' : 'provider', quota: true };
  if (p.saturated) return { why: 'at its in-flight limit', until: undefined, scope: 'provider' };
  return undefined;
}

/** When every time-bound block of `t` has ended (the latest deadline of all); `now` when none holds it back. */
export function blockedUntil(t: Target, now: number): number {
  const p = t.provider;
  const h = t.health;
  let until = now;
  if (p.cooldown.isCoolingDown(now)) until = Math.max(until, p.cooldown.coolingUntil ?? now);
  if (h.cooldown.isCoolingDown(now)) until = Math.max(until, h.cooldown.coolingUntil ?? now);
  until = Math.max(until, p.rateLimits.exhaustedUntil(now) ?? now);
  until = Math.max(until, p.breaker.nextChangeAt(now) ?? now);
  until = Math.max(until, h.breaker.nextChangeAt(now) ?? now);
  until = Math.max(until, quotaBlocked(t, now)?.until ?? now);
  return until;
}
