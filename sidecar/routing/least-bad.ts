/**
 * Panic routing (as Envoy's panic threshold): when breakers, cool-downs and used-up rate-limit budgets leave no
 * target for a request, refusing everything is worse than trying the least-bad target. Pure: reads the targets'
 * state at `now`, changes nothing.
 *
 * Least bad = the target whose block ends soonest (an open breaker's half-open time, a cool-down's end, a rate-limit
 * budget's reset, whichever is latest for that target; a half-open breaker whose probes are all out counts as
 * ending now); ties go to the preferred priority tier, then to manifest order. Never chosen: a drained target
 * (weight 0), one at its in-flight limit, one already tried for this request, and a provider known to be hard-down
 * (it refused the pool's credentials with 401/403 and has not succeeded since): retrying it cannot help; and one
 * whose quota share is used up: the share is this sidecar's promise to keep the fleet within the provider's limit.
 */
import { blockedUntil } from './admission.ts';
import { quotaBlocked } from '../quota/target-quota.ts';
import type { Target } from './target.ts';

/** Could `t` serve at all, were nothing blocking it? */
export function canServe(t: Target): boolean {
  return t.weight > 0 && !t.provider.credentialsRefused;
}

export function leastBad(
  targets: readonly Target[],
  now: number,
  avoid: ReadonlySet<string>,
): Target | undefined {
  let best: Target | undefined;
  let bestUntil = Infinity;
  for (const t of targets) {
    if (!canServe(t) || t.provider.saturated || avoid.has(t.provider.name)) continue;
    if (quotaBlocked(t, now) !== undefined) continue;
    const until = blockedUntil(t, now);
    if (until < bestUntil || (until === bestUntil && best !== undefined && t.priority < best.priority)) {
      best = t;
      bestUntil = until;
    }
  }
  return best;
}
