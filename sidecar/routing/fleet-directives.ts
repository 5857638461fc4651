/**
 * What a sidecar takes from the operator's fleet directives besides the weights (which `buildPoolRuntime` reads):
 * each provider's quota budget (quota/quota-rates.ts; the spec's limits whole when standalone) and the pool-wide
 * cool-downs another sidecar saw. Model-scoped cool-downs are not applied yet: a cool-down belongs to a whole
 * provider here. No I/O; the runtime holder and the routing simulator (bench/routing) both apply documents with it.
 */
import { quotaRates } from '../quota/quota-rates.ts';
import type { FleetDirectives } from '../source/pool-source.ts';
import type { PoolRuntime } from './pool-runtime.ts';

export function applyFleetDirectives(
  runtime: PoolRuntime,
  fleet: FleetDirectives | undefined,
  now: number,
): void {
  for (const provider of runtime.providers.values())
    provider.quota.setRates(quotaRates(provider.spec, fleet?.quotas), now);
  for (const c of fleet?.cooldowns ?? []) {
    if (c.model === undefined) runtime.providers.get(c.provider)?.cooldown.adopt(c.until);
  }
}
