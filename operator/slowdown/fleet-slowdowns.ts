/**
 * Fleet-wide slowdowns: a (provider, model) that turned several times slower than its usual shows first to the
 * sidecars whose requests wait on it; each of the others would otherwise keep sending until its own requests had
 * waited long enough to tell (bench/routing: ~170 requests in a 50-sidecar brown-out's first seconds). Sidecars
 * report what they see (sidecar/sync/slowdown-signal.ts); the operator keeps each sidecar's latest sighting and
 * publishes a slowdown once a quorum of sidecars see it (slowdownQuorum), so one sidecar's unlucky streak of slow answers never
 * sidelines a provider for everyone. The published factor is the quorum-th largest (the largest that a quorum
 * agree on) and lasts as long as a quorum's sightings do; a sidecar withdraws its sighting by leaving the
 * target out of its next report. No I/O; the pool's control loop calls these.
 */
import { targetKey, type Slowdown } from '../../api/sync/sync-protocol.ts';

export type { Slowdown } from '../../api/sync/sync-protocol.ts';

/** No sighting is kept further ahead than this: a sidecar that vanished stops counting soon. */
export const MAX_SIGHTING_MS = 30_000;

/**
 * How many sidecars must see a slowdown before the fleet acts on it: a share of those that send to the provider,
 * and never fewer than two. One sidecar's streak of slow answers (the usual tail, a noisy neighbour, its own node's
 * network) must not sideline a provider for everyone. In the routing simulator (50 sidecars) a quorum of two let
 * coincident tail answers through in the steady state (no fault) and cost its p99 (1.10x -> 1.12x the oracle's on
 * seed 1); a tenth kept the steady state as it was, while in the brown-out (every sidecar's requests to the slowed
 * provider wait alike) a tenth see it about two seconds after it starts: brown-out p99 1.18x the oracle's over
 * three seeds (a fifth: 1.20x on seed 1; 6 %: 1.18x, but steady 1.11x).
 */
export const SLOWDOWN_QUORUM_SHARE = 0.1;
export const SLOWDOWN_QUORUM_MIN = 2;

/** The quorum for a provider that `sidecars` sidecars send to (as the fleet aggregate counts them). */
export function slowdownQuorum(sidecars: number): number {
  return Math.max(SLOWDOWN_QUORUM_MIN, Math.ceil(SLOWDOWN_QUORUM_SHARE * sidecars));
}

/** What each sidecar last reported, per target: sidecar → sighting, under `${provider}\0${model}`. */
export type SlowdownSightings = ReadonlyMap<string, ReadonlyMap<string, Slowdown>>;

const keyOf = (s: Pick<Slowdown, 'provider' | 'model'>): string => targetKey(s.provider, s.model);

/**
 * The sightings after one sidecar's report: its previous sightings are replaced by the report's (a target it left
 * out recovered, as far as it sees), none reaches further than MAX_SIGHTING_MS, and expired ones (anyone's) and
 * those of providers no longer in the pool are dropped. A report without the field (an older sidecar) changes
 * nothing of its own.
 */
export function recordSightings(
  known: SlowdownSightings,
  sidecar: string,
  reported: readonly Slowdown[] | undefined,
  now: number,
  providers: ReadonlySet<string>,
): SlowdownSightings {
  const next = new Map<string, Map<string, Slowdown>>();
  for (const [key, bySidecar] of known) {
    for (const [id, s] of bySidecar) {
      if (s.until <= now || !providers.has(s.provider)) continue;
      if (reported !== undefined && id === sidecar) continue;
      (next.get(key) ?? next.set(key, new Map()).get(key))?.set(id, s);
    }
  }
  for (const s of reported ?? []) {
    const until = Math.min(s.until, now + MAX_SIGHTING_MS);
    if (until <= now || !providers.has(s.provider)) continue;
    const key = keyOf(s);
    (next.get(key) ?? next.set(key, new Map()).get(key))?.set(sidecar, { ...s, until });
  }
  return next;
}

/** The sightings without the expired ones and those of providers no longer in the pool (each round). */
export function pruneSightings(
  known: SlowdownSightings,
  now: number,
  providers: ReadonlySet<string>,
): SlowdownSightings {
  return recordSightings(known, '', undefined, now, providers);
}

/**
 * The slowdowns to publish: for each target that at least its provider's quorum of sidecars see now, the largest
 * factor and the latest `until` that `quorum` of them share (the quorum-th largest of each). A target already
 * published (`held`) stays while any sidecar still sees it, at what the fewer sightings share: once the fleet leans
 * away, the only fresh evidence is the probes' (slowdown-probes.ts), one sidecar's at a time, and a slow probe
 * must keep the signal rather than let it lapse and every sidecar try the slow provider again. Sorted by target.
 */
export function fleetSlowdowns(
  sightings: SlowdownSightings,
  now: number,
  quorumOf: (provider: string) => number = () => SLOWDOWN_QUORUM_MIN,
  held: ReadonlySet<string> = new Set(),
): Slowdown[] {
  const out: Slowdown[] = [];
  for (const [key, bySidecar] of sightings) {
    const live = [...bySidecar.values()].filter((s) => s.until > now);
    const first = live[0];
    if (first === undefined) continue;
    const quorum = Math.max(1, quorumOf(first.provider));
    if (live.length < (held.has(key) ? 1 : quorum)) continue;
    const shared = Math.min(quorum, live.length);
    const nth = (values: number[]) => values.sort((a, b) => b - a)[shared - 1] ?? 0;
    out.push({
      provider: first.provider,
      model: first.model,
      factor: nth(live.map((s) => s.factor)),
      until: nth(live.map((s) => s.until)),
    });
  }
  return out.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/**
 * Whether `next` must be pushed over `published`: a target came or went, a factor or a probe interval
 * (slowdown-probes.ts) moved by more than a fifth (sidecars' slowdowns wobble with every answer), or an `until` is
 * renewed by more than `renewMs` (so renewals reach the sidecars before the published one lapses, without a push
 * per report).
 */
export function slowdownsMoved(
  published: readonly Slowdown[],
  next: readonly Slowdown[],
  renewMs: number,
): boolean {
  if (published.length !== next.length) return true;
  return next.some((n, i) => {
    const p = published[i];
    if (p === undefined || keyOf(p) !== keyOf(n)) return true;
    const moved = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? a !== b : b / a > 1.2 || b / a < 1 / 1.2;
    return (
      moved(p.factor, n.factor) ||
      moved(p.probeEveryMs, n.probeEveryMs) ||
      n.until > p.until + renewMs ||
      n.until < p.until - renewMs
    );
  });
}
