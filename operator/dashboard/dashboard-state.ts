/**
 * What the dashboard page shows, as one JSON document (GET /api/state, and each SSE event): per pool its
 * strategy, conditions, sidecars and, per provider, weights, traffic, latency, errors, breakers and spend. Built
 * purely from the operator's PoolViews (local mode) or from ProviderPool objects' status (a cluster, read-only).
 */
import type { Condition, ProviderState } from '../../api/v1alpha1/providerpool-status.ts';
import type { ProviderPoolSpec, StrategyName } from '../../api/v1alpha1/providerpool.ts';
import type { PoolView } from '../control/pool-loop.ts';

export interface DashboardProvider {
  readonly name: string;
  readonly type: string;
  readonly state: ProviderState;
  /** The weight in the spec. */
  readonly weight: number;
  /** The weight the operator pushes to sidecars (after adaptive reweighting). */
  readonly effectiveWeight: number | null;
  /** This provider's share of the pool's requests, 0..1 (null: no traffic measured). */
  readonly trafficShare: number | null;
  readonly requestRate: number | null;
  readonly errorRate: number | null;
  readonly rateLimitedRate: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly timeToFirstTokenP50Ms: number | null;
  /** Sidecars whose breaker for this provider is open (null: not known, e.g. read from a cluster). */
  readonly breakersOpen: number | null;
  readonly costPerHourUSD: number | null;
  readonly tokensPerSecond: number | null;
  /** End of a pool-wide 429 cool-down of the whole provider, epoch ms. */
  readonly coolingDownUntil: number | null;
  /**
   * Logical models of this provider cooling down on their own (a rate limit or quota of one model), by name, with
   * the end of each (epoch ms; null when only the status is known, which lists them without an end).
   */
  readonly coolingModels: readonly DashboardModelCooldown[];
}

export interface DashboardModelCooldown {
  readonly model: string;
  readonly until: number | null;
}

export interface DashboardSidecar {
  readonly id: string;
  readonly connected: boolean;
  readonly appliedVersion: string | null;
  readonly nack: string | null;
}

export interface DashboardPool {
  readonly namespace: string;
  readonly name: string;
  readonly strategy: string | null;
  readonly configVersion: string | null;
  readonly conditions: readonly Condition[];
  readonly sidecarCounts: {
    readonly connected: number;
    readonly reporting: number;
    readonly onCurrentVersion: number;
  };
  /** Individual sidecars (local mode only; a cluster's status holds only the counts). */
  readonly sidecars: readonly DashboardSidecar[] | null;
  readonly panic: boolean;
  readonly providers: readonly DashboardProvider[];
}

export interface DashboardState {
  /** True against a cluster: the page hides its controls. */
  readonly readOnly: boolean;
  /** The strategies a pool may choose (the page's strategy control lists them). */
  readonly strategies: readonly StrategyName[];
  readonly at: number;
  readonly pools: readonly DashboardPool[];
  /** Mock providers that accept injected faults (the demo), by name. */
  readonly faultTargets: readonly string[];
}

/** The parts of a pool every source has: spec and status as stored. */
export interface PoolRecord {
  readonly namespace: string;
  readonly name: string;
  readonly spec: ProviderPoolSpec | undefined;
  readonly status: PoolView['status'];
}

const orNull = (value: number | undefined): number | null => (value === undefined ? null : value);

/** A pool as its spec and status say, with what only the operator's own view adds left out. */
export function poolFromRecord(record: PoolRecord, extra?: Partial<DashboardPool>): DashboardPool {
  const { spec, status } = record;
  const observed = new Map((status?.providers ?? []).map((p) => [p.name, p]));
  const totalRate = (status?.providers ?? []).reduce((sum, p) => sum + (p.requestRate ?? 0), 0);
  return {
    namespace: record.namespace,
    name: record.name,
    strategy: spec?.strategy.type ?? null,
    configVersion: status?.configVersion ?? null,
    conditions: status?.conditions ?? [],
    sidecarCounts: status?.sidecars ?? { connected: 0, reporting: 0, onCurrentVersion: 0 },
    sidecars: null,
    panic: false,
    providers: (spec?.providers ?? []).map((p) => {
      const o = observed.get(p.name);
      return {
        name: p.name,
        type: p.type,
        state: o?.state ?? 'Unknown',
        weight: p.weight,
        effectiveWeight: orNull(o?.effectiveWeight),
        trafficShare: totalRate > 0 ? (o?.requestRate ?? 0) / totalRate : null,
        requestRate: orNull(o?.requestRate),
        errorRate: orNull(o?.errorRate),
        rateLimitedRate: orNull(o?.rateLimitedRate),
        latencyP50Ms: orNull(o?.latencyP50Ms),
        latencyP95Ms: orNull(o?.latencyP95Ms),
        timeToFirstTokenP50Ms: orNull(o?.timeToFirstTokenP50Ms),
        breakersOpen: null,
        costPerHourUSD: null,
        tokensPerSecond: null,
        coolingDownUntil: null,
        coolingModels: (o?.rateLimitedModels ?? []).map((model) => ({ model, until: null })),
      };
    }),
    ...extra,
  };
}

/** A pool from the operator's own view: status plus spend, breakers, cool-downs and each sidecar. */
export function poolFromView(view: PoolView): DashboardPool {
  const base = poolFromRecord(view);
  const fleet = new Map(view.providers.map((p) => [p.name, p]));
  const cooling = new Map<string, number>();
  const coolingModels = new Map<string, Map<string, number>>();
  for (const c of view.cooldowns) {
    if (c.model === undefined) {
      cooling.set(c.provider, Math.max(c.until, cooling.get(c.provider) ?? 0));
      continue;
    }
    const models = coolingModels.get(c.provider) ?? new Map<string, number>();
    models.set(c.model, Math.max(c.until, models.get(c.model) ?? 0));
    coolingModels.set(c.provider, models);
  }
  return {
    ...base,
    configVersion: view.configVersion ?? base.configVersion,
    panic: view.panic,
    sidecars: view.sidecars.map((s) => ({
      id: s.id,
      connected: s.connected,
      appliedVersion: s.appliedVersion ?? null,
      nack: s.nack === undefined ? null : `${s.nack.version}: ${s.nack.reason}`,
    })),
    providers: base.providers.map((p) => {
      const f = fleet.get(p.name);
      return {
        ...p,
        breakersOpen: f?.breakersOpen ?? null,
        costPerHourUSD: f === undefined ? null : f.costPerSecondUSD * 3600,
        tokensPerSecond: f?.tokensPerSecond ?? null,
        coolingDownUntil: cooling.get(p.name) ?? null,
        coolingModels: [...(coolingModels.get(p.name) ?? [])]
          .map(([model, until]) => ({ model, until }))
          .sort((x, y) => x.model.localeCompare(y.model)),
      };
    }),
  };
}
