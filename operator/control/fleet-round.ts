/**
 * One round of the cluster-wide control loop for one pool (pure): the sidecars' reports in; the pool-wide
 * cool-downs, the adaptive weights, what to push to the sidecars and what the status should say out.
 *
 *   reports ──► fleet view ──► cool-downs (merged) ──► provider states ──► reweighting ──► snapshot content
 *                          └─► quota shares (split by demand) ───────────────────────────────┘
 *                                                                                      └─► status observation
 *
 * The pushed weights are the `adaptive` strategy's: sidecars multiply them by local health. Pools on other
 * strategies keep the spec's weights, so an explicit weighted-round-robin split is never overridden; status
 * then shows the spec's weights as effective.
 */
import { targetKey, type Cooldown, type Recovery } from '../../api/sync/sync-protocol.ts';
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import { mergeCooldowns } from '../cooldown/pool-cooldowns.ts';
import { aggregateFleet, type FleetAggregate, type SidecarRecord } from '../fleet/fleet-aggregate.ts';
import { providerStatuses, providerWindows, unmeasuredWindows } from '../fleet/provider-status.ts';
import { fleetQuotas, type FleetQuotas } from '../quota/fleet-quotas.ts';
import { DEFAULT_QUOTA_SETTINGS } from '../quota/split-quota.ts';
import { INITIAL_RESERVE_STATE, newcomerReserve, type ReserveState } from '../quota/newcomer-reserve.ts';
import type { FleetObservation } from '../reconcile/reconcile-pool.ts';
import {
  DEFAULT_REWEIGHT_SETTINGS,
  priorShares,
  reweight,
  type ProviderWeight,
  type ReweightSettings,
} from '../reweight/reweight.ts';

export interface FleetRoundSettings {
  /** Reports older than this are not read. */
  readonly windowMs: number;
  readonly reweight: ReweightSettings;
}

export const DEFAULT_FLEET_ROUND_SETTINGS: FleetRoundSettings = {
  windowMs: 30_000,
  reweight: DEFAULT_REWEIGHT_SETTINGS,
};

/** How long the sync hub keeps reports: the rounds' window and a little more (memory grows with it). */
export const REPORT_RETENTION_MS = DEFAULT_FLEET_ROUND_SETTINGS.windowMs + 5_000;

/** What a pool's loop carries from round to round. */
export interface PoolControlState {
  readonly weights: ReadonlyMap<string, ProviderWeight>;
  readonly cooldowns: readonly Cooldown[];
  /** Who was connected, and for how many rounds nobody joined: whether to hold the newcomers' quota reserve. */
  readonly reserve: ReserveState;
}

export const INITIAL_CONTROL_STATE: PoolControlState = {
  weights: new Map(),
  cooldowns: [],
  reserve: INITIAL_RESERVE_STATE,
};

export interface FleetRoundInput {
  readonly spec: ProviderPoolSpec;
  readonly configVersion: string;
  readonly sidecars: readonly SidecarRecord[];
  readonly state: PoolControlState;
  readonly now: number;
  readonly settings?: FleetRoundSettings;
  /**
   * Slowdowns the fleet's probes saw end (operator/slowdown/slowdown-probes.ts): the reports from before a
   * recovery measured the slow spell, and are not scored, so the recovered provider's weight comes back within a
   * round or two of fresh reports instead of once the spell has left the window.
   */
  readonly recoveries?: readonly Recovery[];
}

export interface FleetRoundResult {
  readonly state: PoolControlState;
  /** Effective weight per provider, rounded to what is worth pushing. */
  readonly weights: Readonly<Record<string, number>>;
  readonly cooldowns: readonly Cooldown[];
  /** Each connected sidecar's share of the providers' limits (quota/fleet-quotas.ts). */
  readonly quotas: FleetQuotas;
  /** Whether the shares hold back the newcomers' reserve (quota/newcomer-reserve.ts). */
  readonly reserveHeld: boolean;
  readonly observation: FleetObservation;
  /** The merged view the round decided on (for dashboards). */
  readonly fleet: FleetAggregate;
  /** Every provider is down: sidecars are on their own (spec weights, least-bad routing). */
  readonly panic: boolean;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Cool-downs from every retained report, merged with those already known. */
function reportedCooldowns(sidecars: readonly SidecarRecord[]): Cooldown[] {
  return sidecars.flatMap((s) => s.reports.flatMap((r) => r.cooldowns));
}

/**
 * The weights a new configuration is published with, before any round has measured it: for an `adaptive` pool the
 * reweighting's starting point (its prior from the spec's prices, see `priorShares`), else the spec's weights.
 */
export function initialWeights(spec: ProviderPoolSpec): Record<string, number> {
  if (spec.strategy.type !== 'adaptive')
    return Object.fromEntries(spec.providers.map((p) => [p.name, p.weight]));
  const knobs = spec.strategy.adaptive;
  const shares = priorShares(unmeasuredWindows(spec), {
    objective: knobs.objective,
    temperature: knobs.temperature,
    floor: knobs.floor,
  });
  const total = spec.providers.reduce((s, p) => s + p.weight, 0);
  return Object.fromEntries(spec.providers.map((p) => [p.name, round3((shares.get(p.name) ?? 0) * total)]));
}

export function fleetRound(input: FleetRoundInput): FleetRoundResult {
  const { spec, now } = input;
  const settings = input.settings ?? DEFAULT_FLEET_ROUND_SETTINGS;
  const recoveredAt = new Map((input.recoveries ?? []).map((r) => [targetKey(r.provider, r.model), r.at]));
  const fleet = aggregateFleet(input.sidecars, input.configVersion, now, settings.windowMs, recoveredAt);
  const providers = new Set(spec.providers.map((p) => p.name));
  const cooldowns = mergeCooldowns(input.state.cooldowns, reportedCooldowns(input.sidecars), now, providers);

  const specWeights = new Map(spec.providers.map((p) => [p.name, p.weight]));
  const before = providerStatuses(spec, fleet, specWeights, cooldowns, now);
  const knobs = spec.strategy.adaptive;
  const result = reweight(input.state.weights, providerWindows(spec, fleet, before), now, {
    ...settings.reweight,
    objective: knobs.objective,
    temperature: knobs.temperature,
    maxStep: knobs.maxStepPerRound,
    floor: knobs.floor,
    slowStartMs: knobs.slowStartSeconds * 1000,
  });
  const adaptive = spec.strategy.type === 'adaptive';
  const effective = new Map(
    spec.providers.map((p) => [
      p.name,
      adaptive ? round3(result.weights.get(p.name)?.effectiveWeight ?? p.weight) : p.weight,
    ]),
  );
  const statuses = providerStatuses(spec, fleet, effective, cooldowns, now);
  const connected = input.sidecars.filter((s) => s.connected);
  const reserve = newcomerReserve(
    input.state.reserve,
    connected.map((s) => s.id),
    connected.some((s) => s.reports.length === 0),
  );
  const quotaSettings = reserve.hold ? DEFAULT_QUOTA_SETTINGS : { reserveFraction: 0 };
  return {
    state: { weights: result.weights, cooldowns, reserve: reserve.state },
    weights: Object.fromEntries(effective),
    cooldowns,
    quotas: fleetQuotas(spec, fleet, input.sidecars, quotaSettings),
    reserveHeld: reserve.hold,
    observation: { sidecars: fleet.sidecars, nacks: fleet.nacks, providers: statuses },
    fleet,
    panic: result.panic,
  };
}
