import type { Candidate, PickContext, Strategy } from '../balancer/types.ts';
import { admission } from './admission.ts';
import { leastBad } from './least-bad.ts';
import { takeQuota } from '../quota/target-quota.ts';
import { fleetSlowdownAt } from './fleet-slowdown.ts';
import { slowStartFactor } from './slow-start.ts';
import type { Target } from './target.ts';
import { acquireTargetPermit, PANIC_PERMIT, type TargetPermit } from './target-permit.ts';

export interface Selected {
  readonly target: Target;
  readonly permit: TargetPermit;
  /** Targets skipped because this sidecar's quota share is used up: the request wanted them (demand). */
  readonly quotaRefused: readonly Target[];
  /** Chosen by panic routing (see least-bad.ts): every target was blocked. */
  readonly panic?: boolean;
}

/**
 * `selectTarget`, and when it finds nothing for a request's first attempt, the least-bad target (panic routing);
 * nothing only when every target is drained, hard-down or saturated. A retry never panics: the request was tried,
 * and a second blocked provider would only multiply the load on a pool in trouble.
 */
export function selectOrPanic(
  targets: readonly Target[],
  strategy: Strategy,
  ctx: PickContext,
  avoid: ReadonlySet<string>,
): Selected | NoneAvailable {
  const selection = selectTarget(targets, strategy, ctx, avoid);
  if (selection.target || avoid.size > 0) return selection;
  const target = leastBad(targets, ctx.now, avoid);
  if (target === undefined) return selection;
  // leastBad skips targets whose share is used up, so this take succeeds: a panic-routed request counts too.
  takeQuota(target, ctx.now, ctx.tokens.input + ctx.tokens.output);
  return { target, permit: PANIC_PERMIT, panic: true, quotaRefused: selection.quotaRefused };
}

export interface NoneAvailable {
  readonly target: undefined;
  /** Why each target was skipped, for the 503 message: `primary: circuit breaker open`. */
  readonly skipped: readonly string[];
  /** Earliest time a skipped target may take traffic again, when one is known. */
  readonly retryAt: number | undefined;
  readonly quotaRefused: readonly Target[];
}

function toCandidate(t: Target, now: number, probing: boolean, probeDue: boolean): Candidate {
  const p = t.provider;
  // A provider running out of its announced rate limit takes less, before it starts answering 429; one that has just
  // recovered takes a growing share (slow start).
  const slowStart =
    p.slowStartMs > 0
      ? Math.min(
          slowStartFactor(p.breaker.snapshot(now), now, p.slowStartMs),
          slowStartFactor(t.health.breaker.snapshot(now), now, p.slowStartMs),
        )
      : 1;
  return {
    key: t.key,
    provider: p.name,
    weight: t.weight * p.rateLimits.headroom(now) * slowStart,
    inFlight: t.stats.inFlight,
    latencyMs: t.stats.latencyMs(now),
    errorRate: t.stats.errorRate(now),
    // Its own evidence, and the fleet's when other sidecars already see the target slow down.
    slowdown: t.stats.slowdown(now),
    fleetSlowdown: fleetSlowdownAt(t.health.fleetSlowdown, now),
    ...(probeDue && { probeDue }),
    probing,
    price: t.price,
  };
}

/**
 * Filters out what may not take traffic now (drained, breaker open, cooling down after a 429, rate-limit budget
 * used up, quota share used up, at its in-flight limit), asks the strategy to pick among the rest and takes a breaker permit (and the quota) for the
 * pick. The strategy picks within the best priority tier that has an available provider not yet tried; providers in
 * `avoid` (already tried for this request) are picked only when no other, in any tier, can serve. So a retry stays
 * in its tier while the tier has an untried provider, then moves down the tiers.
 */
export function selectTarget(
  targets: readonly Target[],
  strategy: Strategy,
  ctx: PickContext,
  avoid: ReadonlySet<string>,
): Selected | NoneAvailable {
  const skipped: string[] = [];
  const quotaRefused: Target[] = [];
  let retryAt: number | undefined;
  const later = (t: number) => {
    retryAt = retryAt === undefined ? t : Math.min(retryAt, t);
  };
  const eligible = new Map<string, Target>();
  const candidates: Candidate[] = [];
  for (const t of targets) {
    const blocked = admission(t, ctx.now);
    if (blocked) {
      if (blocked.quota === true) quotaRefused.push(t);
      skipped.push(`${blocked.scope === 'provider' ? t.provider.name : t.key}: ${blocked.why}`);
      if (blocked.until !== undefined) later(blocked.until);
      continue;
    }
    eligible.set(t.key, t);
    const probing =
      t.provider.breaker.state(ctx.now) === 'half-open' || t.health.breaker.state(ctx.now) === 'half-open';
    // A slowdown probe goes out on a first attempt only: a retry is owed to the fastest way to an answer.
    const probeDue = avoid.size === 0 && t.health.slowdownProbe.due(t.health.fleetSlowdown, ctx.now, ctx.rng);
    candidates.push(toCandidate(t, ctx.now, probing, probeDue));
  }
  for (const group of pickingOrder(candidates, eligible, avoid)) {
    // A half-open breaker may refuse once its probe slots are taken; then the pick is retried without it.
    while (group.length > 0) {
      const picked = strategy.pick(group, ctx);
      const target = picked && eligible.get(picked.key);
      if (!picked || !target) break;
      const permit = acquireTargetPermit(target, ctx.now);
      if (permit) {
        // Admission found the share not used up at this same `now`, so the take succeeds.
        takeQuota(target, ctx.now, ctx.tokens.input + ctx.tokens.output);
        if (picked.probeDue === true)
          target.health.slowdownProbe.sent(target.health.fleetSlowdown, ctx.now, ctx.rng);
        return { target, permit, quotaRefused };
      }
      skipped.push(`${target.key}: circuit breaker half-open, probe in progress`);
      group.splice(group.indexOf(picked), 1);
    }
  }
  return { target: undefined, skipped, retryAt, quotaRefused };
}

/** The candidates in the groups the strategy picks from, in turn: untried by tier, best first, then tried by tier. */
function pickingOrder(
  candidates: readonly Candidate[],
  eligible: ReadonlyMap<string, Target>,
  avoid: ReadonlySet<string>,
): Candidate[][] {
  const tierOf = (c: Candidate) => eligible.get(c.key)?.priority ?? 0;
  // A first attempt in a pool of one tier (the common case): one group, without sets, sorting and filters, which
  // were the largest share of what the sidecar allocated per request for routing.
  if (avoid.size === 0 && allOneTier(candidates, tierOf))
    return candidates.length > 0 ? [[...candidates]] : [];
  const tiers = [...new Set(candidates.map(tierOf))].sort((a, b) => a - b);
  const groups: Candidate[][] = [];
  for (const triedBefore of [false, true]) {
    for (const tier of tiers) {
      const group = candidates.filter((c) => tierOf(c) === tier && avoid.has(c.provider) === triedBefore);
      if (group.length > 0) groups.push(group);
    }
  }
  return groups;
}

function allOneTier(candidates: readonly Candidate[], tierOf: (c: Candidate) => number): boolean {
  const first = candidates[0];
  if (first === undefined) return true;
  const tier = tierOf(first);
  for (const c of candidates) if (tierOf(c) !== tier) return false;
  return true;
}
