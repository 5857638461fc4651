/**
 * Probes and recoveries of the fleet's slowdowns (fleet-slowdowns.ts). While the fleet holds a (provider, model)
 * slow, every sidecar leans away from it, so nothing shows when it recovers. The operator asks for probes at a
 * small fleet-wide rate: it publishes, with each slowdown, how often each sidecar should send one request there
 * (`probeEveryMs`, the fleet's interval × the sidecars in the pool; sidecar/routing/slowdown-probe.ts draws the
 * times). The fleet's interval grows with the slowdown's age, from `minIntervalMs` to `maxIntervalMs` (a quarter of
 * the age, in doublings): a short blip is seen to end within seconds, and a long brown-out costs a probe every
 * few seconds, each a request that waits on the slow provider. Probes also never take more than `maxTrafficShare`
 * of the pool's requests (up to `maxTrafficIntervalMs` apart), so a quiet pool is not probed at a busy one's rate:
 * every probe of a provider still slow is a request in its slow tail, and the tail a p99 allows is 1 % of the
 * requests (bench/routing's quick run, 20 requests a second: a probe every 2-8 s made its brown-out p99 1.35× →
 * 1.62× the oracle's). A sidecar whose probe comes back at the usual
 * speed reports a recovery; the operator then drops the slowdown and everyone's sightings of it, and publishes the
 * recovery for `recoveryHoldMs` so every sidecar forgets the spell (the one that saw it, at once). No I/O.
 */
import { targetKey, type Recovery, type Slowdown } from '../../api/sync/sync-protocol.ts';
import type { SlowdownSightings } from './fleet-slowdowns.ts';

export type { Recovery } from '../../api/sync/sync-protocol.ts';

export interface SlowdownProbeSettings {
  /** The fleet's interval between probes of a slowdown just published. */
  readonly minIntervalMs: number;
  /** The longest interval, however old the slowdown: how late a recovery may be seen at worst. */
  readonly maxIntervalMs: number;
  /** The interval as a share of the slowdown's age, before the bounds and the rounding to doublings. */
  readonly ageShare: number;
  /** The largest share of the pool's requests that may be probes. */
  readonly maxTrafficShare: number;
  /** The longest interval that share may ask for: a pool at a trickle still sees a recovery within this. */
  readonly maxTrafficIntervalMs: number;
  /** How long a recovery stays in the snapshots (sidecars that miss one push still get it). */
  readonly recoveryHoldMs: number;
}

export const SLOWDOWN_PROBES: SlowdownProbeSettings = {
  minIntervalMs: 2_000,
  maxIntervalMs: 8_000,
  ageShare: 0.25,
  maxTrafficShare: 0.0025,
  maxTrafficIntervalMs: 30_000,
  recoveryHoldMs: 30_000,
};

/**
 * The fleet's interval between probes of a slowdown held for `ageMs`: a quarter of its age, within the bounds,
 * rounded down to the minimum times a power of two (2, 4, 8 s), so it changes (and is pushed) a few times; and no
 * shorter than one probe per `1 / maxTrafficShare` of the pool's requests (`requestsPerSecond`, unknown before the
 * first round), up to `maxTrafficIntervalMs`.
 */
export function fleetProbeIntervalMs(
  ageMs: number,
  requestsPerSecond?: number,
  settings: SlowdownProbeSettings = SLOWDOWN_PROBES,
): number {
  const wanted = Math.min(
    settings.maxIntervalMs,
    Math.max(settings.minIntervalMs, ageMs * settings.ageShare),
  );
  const doublings = Math.floor(Math.log2(wanted / settings.minIntervalMs));
  const byAge = Math.min(settings.maxIntervalMs, settings.minIntervalMs * 2 ** doublings);
  if (requestsPerSecond === undefined) return byAge;
  const byTraffic =
    requestsPerSecond > 0
      ? Math.min(settings.maxTrafficIntervalMs, 1000 / (settings.maxTrafficShare * requestsPerSecond))
      : settings.maxTrafficIntervalMs;
  return Math.max(byAge, byTraffic);
}

/**
 * The slowdowns with each sidecar's probe interval: the fleet's interval × `sidecars` (the pool's sidecars, each
 * probing on its own at random times), counted from when each was first published (`since`, by target key), for a
 * pool sending `requestsPerSecond` (when known).
 */
export function withProbes(
  slowdowns: readonly Slowdown[],
  since: ReadonlyMap<string, number>,
  sidecars: number,
  now: number,
  requestsPerSecond?: number,
  settings: SlowdownProbeSettings = SLOWDOWN_PROBES,
): Slowdown[] {
  return slowdowns.map((s) => {
    const age = now - (since.get(targetKey(s.provider, s.model)) ?? now);
    const fleetMs = fleetProbeIntervalMs(age, requestsPerSecond, settings);
    return { ...s, probeEveryMs: Math.round(fleetMs * Math.max(1, sidecars)) };
  });
}

/**
 * The recoveries to publish after a report: the report's, newest per target, joined to those still held; none
 * older than `recoveryHoldMs`, none of a provider no longer in the pool.
 */
export function recordRecoveries(
  known: readonly Recovery[],
  reported: readonly Recovery[] | undefined,
  now: number,
  providers: ReadonlySet<string>,
  settings: SlowdownProbeSettings = SLOWDOWN_PROBES,
): Recovery[] {
  const latest = new Map<string, Recovery>();
  for (const r of [...known, ...(reported ?? [])]) {
    if (r.at <= now - settings.recoveryHoldMs || !providers.has(r.provider)) continue;
    const key = targetKey(r.provider, r.model);
    const held = latest.get(key);
    if (held === undefined || r.at > held.at) latest.set(key, r);
  }
  return [...latest.values()].sort((a, b) =>
    targetKey(a.provider, a.model).localeCompare(targetKey(b.provider, b.model)),
  );
}

/**
 * The sightings without those of targets that a report just showed recovered: they were made before the
 * recovery (a sidecar's memory of the spell), so the slowdown must find a quorum of new sightings to come back.
 */
export function forgetRecovered(
  sightings: SlowdownSightings,
  recovered: readonly Recovery[] | undefined,
): SlowdownSightings {
  if (recovered === undefined || recovered.length === 0) return sightings;
  const gone = new Set(recovered.map((r) => targetKey(r.provider, r.model)));
  return new Map([...sightings].filter(([key]) => !gone.has(key)));
}
