import type { Price } from '../balancer/types.ts';
import type { TargetStats } from '../balancer/target-stats.ts';
import type { TargetEndpoint } from '../providers/adapter.ts';
import type { ProviderRuntime } from './provider-runtime.ts';
import type { TargetHealth } from './target-health.ts';

/** One provider serving one logical model: what strategies choose between. */
export interface Target {
  /** `${provider}/${logicalModel}`: stable across reloads, so load statistics carry over. */
  readonly key: string;
  readonly logicalModel: string;
  readonly provider: ProviderRuntime;
  /** This model's own breaker and cool-down at the provider (faults scoped to the target). */
  readonly health: TargetHealth;
  /** Tokens the model's context window holds (prompt and output), when the pool declares it. */
  readonly contextWindow: number | undefined;
  readonly endpoint: TargetEndpoint;
  readonly weight: number;
  /** The provider's priority tier: lower is preferred (spec.providers[].priority). */
  readonly priority: number;
  readonly price: Price | undefined;
  readonly stats: TargetStats;
}

export function targetKey(provider: string, logicalModel: string): string {
  return `${provider}/${logicalModel}`;
}
