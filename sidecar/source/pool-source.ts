/**
 * Where a sidecar's pool comes from: a file (standalone) or the operator (in a cluster, or local mode). Either
 * delivers full documents; the runtime diffs each against what it runs, keeping breaker, latency and strategy
 * state of the providers that stay.
 */
import type { Cooldown, QuotaShare, Recovery, Report, Slowdown } from '../../api/sync/sync-protocol.ts';
import type { ProviderPool } from '../../api/v1alpha1/providerpool.ts';

/** What the operator adds to the spec: the fleet's view, recomputed every few seconds. */
export interface FleetDirectives {
  /** Cluster-wide effective weight per provider, used in place of the spec's weight. */
  readonly weights: Readonly<Record<string, number>>;
  readonly cooldowns: readonly Cooldown[];
  /** Slowdowns other sidecars see now (sidecar/routing/fleet-slowdown.ts applies them); absent: none. */
  readonly slowdowns?: readonly Slowdown[];
  /** Slowdowns the fleet's probes saw end (fleet-directives.ts applies them once each); absent: none. */
  readonly recoveries?: readonly Recovery[];
  /** This sidecar's share of each provider's limits. */
  readonly quotas: readonly QuotaShare[];
}

export interface PoolDocument {
  readonly pool: ProviderPool;
  /** Content version: the file's hash, or the operator's configuration version. */
  readonly version: string;
  readonly fleet: FleetDirectives | undefined;
}

/** Applies a document; throws (a PoolLoadError, with every problem) to refuse it and keep the previous one. */
export type ApplyPool = (document: PoolDocument) => void;

export interface PoolSource {
  /** For logs and /readyz: "file /etc/pool.yaml", "operator http://…, pool default/chat". */
  readonly description: string;
  /**
   * Starts delivering documents to `apply`. Resolves once the first document was applied, or at once for a
   * source that may take long (the operator: the sidecar then serves /readyz 503 with `problem()` meanwhile).
   */
  start(apply: ApplyPool): Promise<void>;
  /** Why there is no configuration yet (or why it is stale), for /readyz; undefined when all is well. */
  problem(): string | undefined;
  /** Sends a report to whoever manages the pool; present on sources that have one (the operator). */
  postReport?(report: Report): Promise<void>;
  close(): Promise<void>;
}
