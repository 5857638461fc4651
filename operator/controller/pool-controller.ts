/**
 * The ProviderPool controller: informers over ProviderPools and Secrets feed a keyed work queue; each key is
 * reconciled level-triggered (gather → `reconcilePool` → publish → status). Only the leader writes status; every
 * replica computes and publishes configuration, so a new leader takes over with warm state.
 */
import { API_GROUP, API_VERSION, KIND, ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import type { Clock } from '../../sidecar/core/clock.ts';
import { silentLogger, type Logger } from '../../sidecar/core/log.ts';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { describeKubeError } from '../kube/api-error.ts';
import {
  PROVIDER_POOLS,
  providerPoolCollection,
  secretCollection,
  type Collection,
  type PoolObject,
} from '../kube/collections.ts';
import { SERVER_SIDE_APPLY } from '../kube/patch-options.ts';
import { objectKey } from '../kube/types.ts';
import { Informer } from '../informer/informer.ts';
import { WorkQueue } from '../workqueue/work-queue.ts';
import type { SidecarConfig } from '../reconcile/desired-config.ts';
import { reconcilePool } from '../reconcile/reconcile-pool.ts';
import { referencedSecretNames, type SecretIndex } from '../reconcile/secret-references.ts';
import { ProviderPoolStatusSchema } from '../../api/v1alpha1/providerpool-status.ts';
import { conditionEvents, type ConditionEvent } from './condition-events.ts';

export const FIELD_MANAGER = 'switchboard-operator';

export interface PoolControllerOptions {
  readonly config: KubeConfig;
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
  readonly #pools: Informer<PoolObject>;
  readonly #secrets: Informer<V1Secret>;
  readonly #customObjects: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #queue = new WorkQueue();
  /** The last good configuration per pool: what sidecars are served, kept while a Secret is missing. */
  readonly #published = new Map<string, SidecarConfig>();
  #workers: Promise<void>[] = [];

  constructor(options: PoolControllerOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    const { config, namespace } = options;
    const informer = <T extends PoolObject | V1Secret>(collection: Collection<T>) =>
      new Informer<T>({ config, ...collection, logger: this.#log });
    this.#pools = informer(providerPoolCollection(config, namespace));
    this.#secrets = informer(secretCollection(config, namespace));
    this.#customObjects = config.makeApiClient(CustomObjectsApi);
    this.#core = config.makeApiClient(CoreV1Api);
    const enqueuePool = (pool: PoolObject) => this.#queue.add(objectKey(pool));
    this.#pools.addHandlers({ onAdd: enqueuePool, onUpdate: enqueuePool, onDelete: enqueuePool });
    const enqueueReferrers = (secret: V1Secret) => this.#enqueueReferrers(secret);
    this.#secrets.addHandlers({
      onAdd: enqueueReferrers,
      onUpdate: enqueueReferrers,
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

  #enqueueReferrers(secret: V1Secret): void {
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
          error: describeKubeError(err),
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
    await this.#customObjects.patchNamespacedCustomObjectStatus(
      {
        ...PROVIDER_POOLS,
        namespace,
        name,
        body: {
          apiVersion: `${API_GROUP}/${API_VERSION}`,
          kind: KIND,
          metadata: { name, namespace },
          status: outcome.status,
        },
        fieldManager: FIELD_MANAGER,
        // The operator owns status: take over fields another manager (a user's kubectl) wrote there.
        force: true,
      },
      SERVER_SIDE_APPLY,
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
  async #recordEvent(pool: PoolObject, event: ConditionEvent): Promise<void> {
    const namespace = pool.metadata?.namespace ?? 'default';
    const now = new Date(this.#options.clock.now());
    try {
      await this.#core.createNamespacedEvent({
        namespace,
        body: {
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
      });
    } catch (err) {
      this.#log.warn('could not record an event', { error: describeKubeError(err) });
    }
  }
}
