/**
 * Pool-wide cool-downs: when one sidecar sees a 429 with Retry-After (or opens a breaker), every sidecar of the
 * pool should stop sending to that provider (or that provider's model) until then, instead of each one finding
 * out with a 429 of its own. The operator merges what sidecars report and pushes the result to all of them.
 */
import { targetKey, type Cooldown } from '../../api/sync/sync-protocol.ts';

export type { Cooldown } from '../../api/sync/sync-protocol.ts';

/** No reported cool-down is taken further ahead than this: one confused Retry-After must not sideline a provider. */
export const MAX_COOLDOWN_MS = 5 * 60_000;

const keyOf = (c: Cooldown): string => targetKey(c.provider, c.model);

/**
 * The active cool-downs after merging new reports into the known ones: one per provider (and model), the latest
 * `until` wins, expired ones are dropped, and none reaches further than MAX_COOLDOWN_MS from now. Providers that
 * left the pool are dropped when `providers` is given.
 */
export function mergeCooldowns(
  known: readonly Cooldown[],
  reported: readonly Cooldown[],
  now: number,
  providers?: ReadonlySet<string>,
): Cooldown[] {
  const merged = new Map<string, Cooldown>();
  for (const c of [...known, ...reported]) {
    if (providers !== undefined && !providers.has(c.provider)) continue;
    const until = Math.min(c.until, now + MAX_COOLDOWN_MS);
    if (until <= now) continue;
    const key = keyOf(c);
    const before = merged.get(key);
    if (before === undefined || until > before.until) merged.set(key, { ...c, until });
  }
  return [...merged.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/** Whether two lists hold the same cool-downs (the operator pushes only on a change). */
export function sameCooldowns(a: readonly Cooldown[], b: readonly Cooldown[]): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => {
      const d = b[i];
      return d !== undefined && keyOf(c) === keyOf(d) && c.until === d.until && c.reason === d.reason;
    })
  );
}
