/**
 * A slowdown other sidecars see (operator/slowdown/fleet-slowdowns.ts), held per target until it lapses: the
 * adaptive strategy reads the larger of the target's own slowdown and this one, so a sidecar leans away from a
 * provider that turned slow before its own requests wait on it. Its own evidence still counts: the signal lasts
 * only while the sidecars that see the slowdown keep reporting it, and they stop as their own answers recover.
 */
export interface FleetSlowdown {
  readonly factor: number;
  readonly until: number;
  /** How often this sidecar probes the target meanwhile, on average (slowdown-probe.ts); absent: never. */
  readonly probeEveryMs?: number;
}

/** The fleet's factor for a target at `now`: 1 (none) when there is none or it lapsed. */
export function fleetSlowdownAt(signal: FleetSlowdown | undefined, now: number): number {
  return signal !== undefined && now < signal.until ? signal.factor : 1;
}
