/**
 * The quota budgets a request to one target draws on: its provider's (spec.providers[].limits) and, when the
 * model has limits of its own (spec.providers[].models[].limits), the model's at that provider. A request is
 * admitted only when both admit it, and takes from (and settles with) both.
 */
import type { QuotaBlock, QuotaBudget } from './quota-budget.ts';
import type { Target } from '../routing/target.ts';

function budgets(t: Target): QuotaBudget[] {
  const model = t.provider.modelQuotas.get(t.logicalModel);
  return model === undefined ? [t.provider.quota] : [t.provider.quota, model];
}

/** Undefined when every budget of `t` admits a request at `now`; else the block that ends last. */
export function quotaBlocked(t: Target, now: number): QuotaBlock | undefined {
  const provider = t.provider.quota.blocked(now);
  // The admission gate names the target ("provider/model: …") when only the model's budget holds it back.
  const model = t.provider.modelQuotas.get(t.logicalModel)?.blocked(now);
  if (provider === undefined || model === undefined) return provider ?? model;
  // A block without an end (a share of 0) outlasts any other.
  if (provider.until === undefined) return provider;
  if (model.until === undefined) return model;
  return model.until > provider.until ? model : provider;
}

/** Takes one request and its token estimate from every budget of `t` (after quotaBlocked found them open). */
export function takeQuota(t: Target, now: number, tokens: number): void {
  for (const b of budgets(t)) b.tryTake(now, tokens);
}

export function settleQuota(t: Target, now: number, estimated: number, actual: number): void {
  for (const b of budgets(t)) b.settleTokens(now, estimated, actual);
}
