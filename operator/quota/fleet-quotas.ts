/**
 * Each connected sidecar's share of every provider limit in the spec, and of every per-model limit (pure):
 * splitQuota over the demand the fleet reported for the provider, or for that model of it (requests and tokens per
 * minute, separately), newcomers being the connected sidecars with no report in
 * the window yet. Sidecars whose stream is closed get nothing: a share they cannot receive would be wasted.
 *
 * `quotasChanged` keeps the operator from pushing every round for noise: only a sidecar joining or leaving a split,
 * or a share moving by more than a few percent, is worth a push.
 */
import type { QuotaShare } from '../../api/sync/sync-protocol.ts';
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import type { Demand, FleetAggregate, SidecarRecord } from '../fleet/fleet-aggregate.ts';
import { DEFAULT_QUOTA_SETTINGS, splitQuota, type QuotaSettings } from './split-quota.ts';

export type FleetQuotas = ReadonlyMap<string, readonly QuotaShare[]>;

/** Relative change of a share below which it is not pushed. */
export const QUOTA_PUSH_TOLERANCE = 0.05;

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function fleetQuotas(
  spec: ProviderPoolSpec,
  fleet: FleetAggregate,
  sidecars: readonly SidecarRecord[],
  settings: QuotaSettings = DEFAULT_QUOTA_SETTINGS,
): Map<string, QuotaShare[]> {
  const connected = sidecars.filter((s) => s.connected);
  const quotas = new Map<string, QuotaShare[]>(connected.map((s) => [s.id, []]));
  /** Splits one set of limits (a provider's, or one model's of it) by the demand for it. */
  const share = (
    limits: { requestsPerMinute?: number | undefined; tokensPerMinute?: number | undefined },
    demand: ReadonlyMap<string, Demand> | undefined,
    target: { provider: string; model?: string },
  ) => {
    const split = (limit: number | undefined, per: keyof Demand) => {
      if (limit === undefined) return undefined;
      const wants = new Map<string, number | undefined>(
        connected.map((s) => [s.id, s.reports.length === 0 ? undefined : (demand?.get(s.id)?.[per] ?? 0)]),
      );
      return splitQuota(limit, wants, settings);
    };
    const requests = split(limits.requestsPerMinute, 'requestsPerMinute');
    const tokens = split(limits.tokensPerMinute, 'tokensPerMinute');
    for (const s of connected) {
      const r = requests?.get(s.id);
      const t = tokens?.get(s.id);
      quotas.get(s.id)?.push({
        ...target,
        // Rounded down: the shares must not sum to more than the limit.
        ...(r === undefined ? {} : { requestsPerMinute: Math.floor(r * 100) / 100 }),
        ...(t === undefined ? {} : { tokensPerMinute: Math.floor(t) }),
      });
    }
  };
  for (const provider of spec.providers) {
    const aggregate = fleet.providers.get(provider.name);
    if (provider.limits !== undefined) share(provider.limits, aggregate?.demand, { provider: provider.name });
    for (const model of provider.models) {
      if (model.limits === undefined) continue;
      share(model.limits, aggregate?.modelDemand.get(model.name), {
        provider: provider.name,
        model: model.name,
      });
    }
  }
  return quotas;
}

/** Whether `next` differs from what was pushed by more than noise. */
export function quotasChanged(
  pushed: FleetQuotas,
  next: FleetQuotas,
  tolerance = QUOTA_PUSH_TOLERANCE,
): boolean {
  if (pushed.size !== next.size) return true;
  for (const [id, shares] of next) {
    const before = pushed.get(id);
    if (before === undefined || before.length !== shares.length) return true;
    for (const [i, share] of shares.entries()) {
      const old = before[i];
      if (old === undefined || old.provider !== share.provider || old.model !== share.model) return true;
      if (moved(old.requestsPerMinute, share.requestsPerMinute, tolerance)) return true;
      if (moved(old.tokensPerMinute, share.tokensPerMinute, tolerance)) return true;
    }
  }
  return false;
}

function moved(a: number | undefined, b: number | undefined, tolerance: number): boolean {
  if (a === undefined || b === undefined) return a !== b;
  return Math.abs(a - b) > tolerance * Math.max(a, b) && round2(a) !== round2(b);
}
