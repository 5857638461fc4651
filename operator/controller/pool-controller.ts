/**
 * The ProviderPool controller: informers over ProviderPools and Secrets feed a keyed work queue; each key is
 * reconciled level-triggered (gather → `reconcilePool` → publish → status). Only the leader writes status; every
 * replica computes and publishes configuration, so a new leader takes over with warm state.
 */
import { API_GROUP, API_VERSION, KIND, ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import type { Clock } from '../../sidecar/core/clock.ts';
import { silentLogger, type Logger } from '../../sidecar/core/log.ts';
import type { KubeClient } from '../kube/client.ts';
import { events, providerPools, secrets } from '../kube/resources.ts';
import { objectKey, type KubeObject } from '../kube/types.ts';
import { Informer } from '../informer/informer.ts';
import { WorkQueue } from '../workqueue/work-queue.ts';
import type { SidecarConfig } from '../reconcile/desired-config.ts';
import { reconcilePool } from '../reconcile/reconcile-pool.ts';
import { referencedSecretNames, type SecretIndex } from '../reconcile/secret-references.ts';
import { ProviderPoolStatusSchema } from '../../api/v1alpha1/providerpool-status.ts';
import { conditionEvents, type ConditionEvent } from './condition-events.ts';

export const FIELD_MANAGER = 'switchboard-operator';

interface PoolResource extends KubeObject {
  spec?: unknown;
  status?: unknown;
}

interface SecretResource extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface PoolControllerOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  /** Watch one namespace; all when undefined. */
  readonly namespace?: string;
  readonly isLeader: () => boolean;
  readonly logger?: Logger;
  /** Called with every configuration published (and undefined when a pool is deleted). */
  readonly onConfig?: (key: string, config: SidecarConfig | undefined) => void;
  readonly onReconcile?: (key: string, result: 'ok' | 'error', durationMs: number) => void;
}

export class PoolController {
  readonly #options: PoolControllerOptions;
  readonly #log: Logger;
  readonly #pools: Informer<PoolResource>;
  readonly #secrets: Informer<SecretResource>;
  readonly #queue = new WorkQueue();
  /** The last good configuration per pool: what sidecars are served, kept while a Secret is missing. */
  readonly #published = new Map<string, SidecarConfig>();
  #workers: Promise<void>[] = [];

  constructor(options: PoolControllerOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    const common = { client: options.client, namespace: options.namespace, logger: this.#log };
    this.#pools = new Informer<PoolResource>({ ...common, type: providerPools });
    this.#secrets = new Informer<SecretResource>({ ...common, type: secrets });
    const enqueuePool = (pool: PoolResource) => this.#queue.add(objectKey(pool));
    this.#pools.addHandlers({
      onAdd: enqueuePool,
      onUpdate: (_old, pool) => enqueuePool(pool),
      onDelete: enqueuePool,
    });
    const enqueueReferrers = (secret: SecretResource) => this.#enqueueReferrers(secret);
    this.#secrets.addHandlers({
      onAdd: enqueueReferrers,
      onUpdate: (_old, secret) => enqueueReferrers(secret),
      onDelete: enqueueReferrers,
    });
  }

  /** The configuration currently published for `namespace/name`. */
  published(key: string): SidecarConfig | undefined {
    return this.#published.get(key);
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  hasSynced(): boolean {
    return this.#pools.hasSynced() && this.#secrets.hasSynced();
  }

  start(workers = 2): void {
    this.#pools.start();
    this.#secrets.start();
    this.#workers = Array.from({ length: workers }, () => this.#work());
  }

  /** Re-examines every pool, e.g. when this replica became the leader and status may be stale. */
  resyncAll(): void {
    for (const key of this.#pools.store.keys()) this.#queue.add(key);
  }

  async stop(): Promise<void> {
    this.#queue.shutDown();
    await Promise.all([this.#pools.stop(), this.#secrets.stop(), ...this.#workers]);
  }

  #enqueueReferrers(secret: SecretResource): void {
    const namespace = secret.metadata?.namespace;
    const name = secret.metadata?.name;
    for (const pool of this.#pools.store.list()) {
      if (pool.metadata?.namespace !== namespace) continue;
      const spec = ProviderPoolSpecSchema.safeParse(pool.spec);
      if (spec.success && name !== undefined && referencedSecretNames(spec.data).has(name)) {
        this.#queue.add(objectKey(pool));
      }
    }
  }

  #secretIndex(namespace: string): SecretIndex {
    const index = new Map<string, Set<string>>();
    for (const s of this.#secrets.store.list()) {
      if (s.metadata?.namespace !== namespace || !s.metadata.name) continue;
      index.set(s.metadata.name, new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]));
    }
    return index;
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      const started = this.#options.clock.now();
      try {
        await this.#reconcile(key);
        this.#queue.forget(key);
        this.#options.onReconcile?.(key, 'ok', this.#options.clock.now() - started);
      } catch (err) {
        this.#log.warn('reconcile failed; retrying with backoff', {
          pool: key,
          error: err instanceof Error ? err.message : String(err),
        });
        this.#queue.addRateLimited(key);
        this.#options.onReconcile?.(key, 'error', this.#options.clock.now() - started);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #reconcile(key: string): Promise<void> {
    const pool = this.#pools.store.get(key);
    if (!pool?.metadata?.name || !pool.metadata.namespace) {
      this.#published.delete(key);
      this.#options.onConfig?.(key, undefined);
      return;
    }
    const { name, namespace } = pool.metadata;
    const outcome = reconcilePool(
      {
        metadata: { name, namespace, generation: pool.metadata.generation ?? 0 },
        spec: pool.spec,
        status: pool.status,
      },
      this.#secretIndex(namespace),
      new Date(this.#options.clock.now()),
    );
    if (outcome.config && this.#published.get(key)?.version !== outcome.config.version) {
      this.#published.set(key, outcome.config);
      this.#options.onConfig?.(key, outcome.config);
      this.#log.info('configuration published', { pool: key, version: outcome.config.version });
    }
    if (!outcome.statusChanged || !this.#options.isLeader()) return;
    await this.#options.client.applyStatus(
      providerPools,
      {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: KIND,
        metadata: { name, namespace },
        status: outcome.status,
      },
      { fieldManager: FIELD_MANAGER, force: true },
    );
    this.#log.info('status written', { pool: key, generation: outcome.status.observedGeneration ?? null });
    const before = ProviderPoolStatusSchema.safeParse(pool.status ?? {});
    for (const event of conditionEvents(
      before.success ? before.data.conditions : undefined,
      outcome.status.conditions ?? [],
    )) {
      await this.#recordEvent(pool, event);
    }
  }

  /** A core/v1 Event on the pool, so `kubectl describe providerpool` shows what happened. Best effort. */
  async #recordEvent(pool: PoolResource, event: ConditionEvent): Promise<void> {
    const namespace = pool.metadata?.namespace ?? 'default';
    const now = new Date(this.#options.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.#options.client.create(
        events,
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${pool.metadata?.name ?? 'pool'}.`, namespace },
          involvedObject: {
            apiVersion: `${API_GROUP}/${API_VERSION}`,
            kind: KIND,
            name: pool.metadata?.name,
            namespace,
            uid: pool.metadata?.uid,
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component: FIELD_MANAGER },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
        namespace,
      );
    } catch (err) {
      this.#log.warn('could not record an event', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
