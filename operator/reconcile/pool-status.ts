import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import type {
  Condition,
  ProviderPoolStatus,
  ProviderStatus,
} from '../../api/v1alpha1/providerpool-status.ts';
import { CONDITION_POLICIES, type ReconcileFacts } from './conditions.ts';

/** Until sidecars report, a provider's state follows from the spec alone. */
export function providersFromSpec(spec: ProviderPoolSpec): ProviderStatus[] {
  return spec.providers.map((p) => ({
    name: p.name,
    state: p.weight === 0 ? 'Draining' : 'Unknown',
    effectiveWeight: p.weight,
  }));
}

/**
 * The status a reconcile wants stored (pure). A condition keeps its lastTransitionTime while its status stays
 * the same, so an unchanged pool computes an identical status and nothing is written.
 */
export function computeStatus(
  facts: ReconcileFacts,
  previous: ProviderPoolStatus | undefined,
  now: Date,
): ProviderPoolStatus {
  const before = new Map((previous?.conditions ?? []).map((c) => [c.type, c]));
  const conditions: Condition[] = CONDITION_POLICIES.map((policy) => {
    const verdict = policy(facts);
    const old = before.get(verdict.type);
    const lastTransitionTime =
      old && old.status === verdict.status
        ? old.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...verdict, observedGeneration: facts.generation, lastTransitionTime };
  });
  return {
    observedGeneration: facts.generation,
    conditions,
    ...(facts.config ? { configVersion: facts.config.version } : {}),
    providerCount: facts.providers.length,
    healthyProviderCount: facts.providers.filter((p) => p.state === 'Healthy').length,
    sidecars: { ...facts.sidecars },
    providers: [...facts.providers],
  };
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Whether the stored status differs from the wanted one (key order and absent fields do not count). */
export function statusDiffers(stored: ProviderPoolStatus | undefined, wanted: ProviderPoolStatus): boolean {
  return canonical(stored ?? {}) !== canonical(wanted);
}
