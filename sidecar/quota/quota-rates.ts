/**
 * What this sidecar may send a provider (or one model of it) per minute (pure): standalone, the spec's limits whole (it is the fleet);
 * under an operator, the share the operator pushed for this sidecar. A provider with limits but no share pushed yet
 * (the sidecar just connected, or the limit was just added) starts at a tenth of each limit: conservative, since
 * every newcomer does so until the operator's next round (a few seconds) hands it its measured share.
 */
import type { QuotaShare } from '../../api/sync/sync-protocol.ts';
import type { ModelMapping, ModelLimits, ProviderSpec } from '../../api/v1alpha1/providerpool.ts';
import type { QuotaRates } from './quota-budget.ts';

export const UNSHARED_START_FRACTION = 0.1;

/** @param shares the operator's shares for this sidecar; undefined when standalone (no operator) */
export function quotaRates(spec: ProviderSpec, shares: readonly QuotaShare[] | undefined): QuotaRates {
  return ratesOf(spec.limits, shares, spec.name, undefined);
}

/** The same for a model's own limits at a provider (the operator's share names the logical model). */
export function modelQuotaRates(
  provider: string,
  model: ModelMapping,
  shares: readonly QuotaShare[] | undefined,
): QuotaRates {
  return ratesOf(model.limits, shares, provider, model.name);
}

function ratesOf(
  limits: ModelLimits | undefined,
  shares: readonly QuotaShare[] | undefined,
  provider: string,
  model: string | undefined,
): QuotaRates {
  if (limits === undefined) return {};
  if (shares === undefined) return limits;
  const share = shares.find((s) => s.provider === provider && s.model === model);
  const pick = (limit: number | undefined, pushed: number | undefined): number | undefined =>
    limit === undefined ? undefined : (pushed ?? limit * UNSHARED_START_FRACTION);
  return {
    requestsPerMinute: pick(limits.requestsPerMinute, share?.requestsPerMinute),
    tokensPerMinute: pick(limits.tokensPerMinute, share?.tokensPerMinute),
  };
}
