/**
 * Splits a provider's limit (requests or tokens per minute) across the sidecars that use it, so the fleet as a
 * whole stays within the limit with no shared counter (no Redis): each sidecar enforces its own share locally.
 *
 * Max-min fair water-filling over the sidecars' reported demand: a sidecar that asks for less than an equal
 * split gets what it asks for, and what it leaves is shared equally by the others, repeatedly. What nobody asked
 * for is handed out equally as headroom, since demand moves faster than the operator's rounds. A small reserve
 * is held back for sidecars that connect before the next round; newcomers (no demand reported yet) share it.
 */

export interface QuotaSettings {
  /** Fraction of the limit held for newcomers until the next round (e.g. 0.05). */
  readonly reserveFraction: number;
}

export const DEFAULT_QUOTA_SETTINGS: QuotaSettings = { reserveFraction: 0.05 };

/**
 * @param limit the provider's limit per minute
 * @param demand per sidecar: what it wanted last window, per minute (including what its share refused), or
 *   undefined for a newcomer that has not reported yet
 * @returns each sidecar's share per minute; the shares sum to at most `limit`
 */
export function splitQuota(
  limit: number,
  demand: ReadonlyMap<string, number | undefined>,
  settings: QuotaSettings = DEFAULT_QUOTA_SETTINGS,
): Map<string, number> {
  const shares = new Map<string, number>();
  if (demand.size === 0 || !(limit > 0)) {
    for (const id of demand.keys()) shares.set(id, 0);
    return shares;
  }
  const known = [...demand].filter((e): e is [string, number] => e[1] !== undefined);
  const newcomers = [...demand.keys()].filter((id) => demand.get(id) === undefined);
  // Hold a reserve only while there is someone to share the rest with; a lone newcomer gets everything.
  const reserve = known.length === 0 ? 0 : limit * settings.reserveFraction;
  const distributable = limit - reserve;

  // Water-filling: ascending demand; each takes min(demand, an equal split of what is left).
  known.sort((a, b) => a[1] - b[1]);
  let left = distributable;
  for (const [i, [id, wants]] of known.entries()) {
    const fair = left / (known.length - i);
    const granted = Math.min(Math.max(0, wants), fair);
    shares.set(id, granted);
    left -= granted;
  }
  // Headroom: what nobody asked for, equally (by everyone known; newcomers get the reserve below).
  if (known.length > 0 && left > 0) {
    const extra = left / known.length;
    for (const [id] of known) shares.set(id, (shares.get(id) ?? 0) + extra);
  }
  const newcomerPool = known.length === 0 ? distributable : reserve;
  for (const id of newcomers) shares.set(id, newcomerPool / newcomers.length);
  return shares;
}
