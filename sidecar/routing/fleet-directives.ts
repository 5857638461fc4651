/**
 * What a sidecar takes from the operator's fleet directives besides the weights (which `buildPoolRuntime` reads):
 * each provider's quota budget and its models' own (quota/quota-rates.ts; the spec's limits whole when standalone),
 * the pool-wide cool-downs another sidecar saw, for a whole provider or one (provider, model), and the slowdowns
 * other sidecars see (fleet-slowdown.ts; a target absent from the list has none) with the probes asked for
 * (slowdown-probe.ts), and the slowdowns the fleet's probes saw end (the target forgets its own memory of the spell
 * once: TargetStats.forgetSlowdown). No I/O; the
 * runtime holder and the routing simulator (bench/routing) both apply documents with it.
 */
import { modelQuotaRates, quotaRates } from '../quota/quota-rates.ts';
import { QuotaBudget } from '../quota/quota-budget.ts';
import type { FleetDirectives } from '../source/pool-source.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import { targetKey } from '../../api/sync/sync-protocol.ts';

export function applyFleetDirectives(
  runtime: PoolRuntime,
  fleet: FleetDirectives | undefined,
  now: number,
): void {
  for (const [name, provider] of runtime.providers) {
    provider.quota.setRates(quotaRates(provider.spec, fleet?.quotas), now);
    // Per-model budgets: kept across documents while the model keeps limits (what is left carries over).
    for (const model of provider.spec.models) {
      const rates = modelQuotaRates(name, model, fleet?.quotas);
      const budget = provider.modelQuotas.get(model.name);
      if (model.limits === undefined) provider.modelQuotas.delete(model.name);
      else if (budget === undefined) provider.modelQuotas.set(model.name, new QuotaBudget(rates, now));
      else budget.setRates(rates, now);
    }
    for (const model of provider.modelQuotas.keys())
      if (!provider.spec.models.some((m) => m.name === model)) provider.modelQuotas.delete(model);
  }
  const slowdowns = new Map((fleet?.slowdowns ?? []).map((s) => [targetKey(s.provider, s.model), s]));
  const recoveries = new Map((fleet?.recoveries ?? []).map((r) => [targetKey(r.provider, r.model), r]));
  for (const [model, targets] of runtime.models) {
    for (const t of targets) {
      const key = targetKey(t.provider.name, model);
      const recovery = recoveries.get(key);
      if (recovery !== undefined && recovery.at > t.health.recoveredAt) {
        t.health.recoveredAt = recovery.at;
        t.stats.forgetSlowdown(now);
        t.health.slowdownProbe.reset();
      }
      const s = slowdowns.get(key);
      t.health.fleetSlowdown =
        s === undefined
          ? undefined
          : {
              factor: s.factor,
              until: s.until,
              ...(s.probeEveryMs !== undefined && { probeEveryMs: s.probeEveryMs }),
            };
      t.health.slowdownProbe.hold(t.health.fleetSlowdown, now, t.stats.usualLatencyMs);
    }
  }
  for (const c of fleet?.cooldowns ?? []) {
    const provider = runtime.providers.get(c.provider);
    if (c.model === undefined) provider?.cooldown.adopt(c.until);
    else provider?.targets.get(c.model)?.cooldown.adopt(c.until);
  }
}
