/**
 * One level-triggered reconcile of one ProviderPool, as a pure function: gathered facts in, the configuration to
 * publish and the status to store out. The caller does the I/O (read the pool and its Secrets, publish, apply the
 * status only when `statusChanged`).
 */
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import { ProviderPoolStatusSchema, type ProviderPoolStatus } from '../../api/v1alpha1/providerpool-status.ts';
import { formatIssues } from '../../api/v1alpha1/validation-errors.ts';
import type { ProviderStatus } from '../../api/v1alpha1/providerpool-status.ts';
import type { ReconcileFacts, SidecarCounts } from './conditions.ts';
import { desiredSidecarConfig, type SidecarConfig } from './desired-config.ts';
import { computeStatus, providersFromSpec, statusDiffers } from './pool-status.ts';
import { missingSecretReferences, type SecretIndex } from './secret-references.ts';

export interface PoolObject {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly generation: number };
  readonly spec: unknown;
  readonly status?: unknown;
}

export interface ReconcileOutcome {
  /**
   * The configuration to publish, or undefined to keep publishing the last good one: a sidecar cannot build a
   * pool whose Secrets are missing, so it keeps serving with what it has (static stability).
   */
  readonly config: SidecarConfig | undefined;
  readonly status: ProviderPoolStatus;
  /** False when the stored status already says the same: no write while nothing happens. */
  readonly statusChanged: boolean;
}

/** What the sync channel knows of the pool's sidecars; absent before any sidecar connected. */
export interface FleetObservation {
  readonly sidecars: SidecarCounts;
  readonly nacks: readonly { readonly sidecar: string; readonly reason: string }[];
  /** Per provider of the spec, from the sidecars' merged reports. */
  readonly providers: readonly ProviderStatus[];
}

const NO_SIDECARS: SidecarCounts = { connected: 0, reporting: 0, onCurrentVersion: 0 };

export function reconcilePool(
  pool: PoolObject,
  secrets: SecretIndex,
  now: Date,
  observed?: FleetObservation,
): ReconcileOutcome {
  const sidecars = observed?.sidecars ?? NO_SIDECARS;
  const nacks = observed?.nacks ?? [];
  const { name, namespace, generation } = pool.metadata;
  const parsed = ProviderPoolSpecSchema.safeParse(pool.spec, { reportInput: true });
  const stored = ProviderPoolStatusSchema.safeParse(pool.status ?? {});
  const previous = stored.success ? stored.data : undefined;
  let facts: ReconcileFacts;
  if (!parsed.success) {
    facts = {
      generation,
      specProblems: formatIssues(parsed.error, ['spec']),
      secretProblems: [],
      config: undefined,
      sidecars,
      nacks: [],
      providers: [],
    };
  } else {
    const secretProblems = missingSecretReferences(parsed.data, secrets);
    facts = {
      generation,
      specProblems: [],
      secretProblems,
      config: secretProblems.length === 0 ? desiredSidecarConfig(namespace, name, parsed.data) : undefined,
      sidecars,
      nacks,
      providers: observed?.providers ?? providersFromSpec(parsed.data),
    };
  }
  const status = computeStatus(facts, previous, now);
  return { config: facts.config, status, statusChanged: statusDiffers(previous, status) };
}
