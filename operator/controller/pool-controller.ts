/**
 * The ProviderPool controller: informers over ProviderPools and Secrets feed a keyed work queue; each key is
 * handed, level-triggered, to its pool's control loop (operator/control/pool-loop.ts: reconcile → publish to the
 * sidecars → fleet rounds → status). Only the leader writes status (server-side apply on the status subresource,
 * with an Event per condition transition).
 */
import { API_GROUP, API_VERSION, KIND, ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
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
import { PoolLoop } from '../control/pool-loop.ts';
import type { SyncHub } from '../sync/sync-hub.ts';
import type { Scheduler } from '../timing/scheduler.ts';
import { referencedSecretNames, type SecretIndex } from '../reconcile/secret-references.ts';
import { ProviderPoolStatusSchema, type ProviderPoolStatus } from '../../api/v1alpha1/providerpool-status.ts';
import { conditionEvents, type ConditionEvent } from './condition-events.ts';

export const FIELD_MANAGER = 'switchboard-operator';

export interface PoolControllerOptions {
  readonly config: KubeConfig;
  readonly scheduler: Scheduler;
  /** Where configuration goes to the sidecars. */
  readonly hub: SyncHub;
  /** Watch one namespace; all when undefined. */
  readonly namespace?: string;
  readonly isLeader: () => boolean;
  readonly logger?: Logger;
  /** How often each pool's fleet round runs (default 5 s). */
  readonly roundMs?: number;
  /** Shortest time between two status writes of a pool (default 10 s). */
  readonly statusIntervalMs?: number;
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
  readonly #loops = new Map<string, PoolLoop>();
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

  /** The control loop of `namespace/name`, once the pool has been seen. */
  loop(key: string): PoolLoop | undefined {
    return this.#loops.get(key);
  }

  /** The ProviderPool `namespace/name` as the informer last saw it (the injection webhook's first look). */
  cachedPool(namespace: string, name: string): PoolObject | undefined {
    return this.#pools.store.get(`${namespace}/${name}`);
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
    for (const loop of this.#loops.values()) loop.stop();
    this.#loops.clear();
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
      const started = this.#options.scheduler.clock.now();
      try {
        await this.#reconcile(key);
        this.#queue.forget(key);
        this.#options.onReconcile?.(key, 'ok', this.#options.scheduler.clock.now() - started);
      } catch (err) {
        this.#log.warn('reconcile failed; retrying with backoff', {
          pool: key,
          error: describeKubeError(err),
        });
        this.#queue.addRateLimited(key);
        this.#options.onReconcile?.(key, 'error', this.#options.scheduler.clock.now() - started);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #reconcile(key: string): Promise<void> {
    const pool = this.#pools.store.get(key);
    if (!pool?.metadata?.name || !pool.metadata.namespace) {
      this.#loops.get(key)?.stop();
      this.#loops.delete(key);
      return;
    }
    const { name, namespace } = pool.metadata;
    const object = {
      metadata: { name, namespace, generation: pool.metadata.generation ?? 0 },
      spec: pool.spec,
      status: pool.status,
    };
    const secrets = this.#secretIndex(namespace);
    const loop = this.#loops.get(key);
    if (loop !== undefined) loop.update(object, secrets);
    else {
      this.#loops.set(
        key,
        new PoolLoop(object, secrets, {
          hub: this.#options.hub,
          scheduler: this.#options.scheduler,
          logger: this.#log,
          writeStatus: (_key, status) => this.#writeStatus(key, status),
          roundMs: this.#options.roundMs ?? 5_000,
          statusIntervalMs: this.#options.statusIntervalMs ?? 10_000,
        }),
      );
    }
    return Promise.resolve();
  }

  /** Server-side apply of the status (leader only), then an Event per condition transition. */
  async #writeStatus(key: string, status: ProviderPoolStatus): Promise<boolean> {
    const pool = this.#pools.store.get(key);
    if (!this.#options.isLeader() || !pool?.metadata?.name || !pool.metadata.namespace) return false;
    const { name, namespace } = pool.metadata;
    await this.#customObjects.patchNamespacedCustomObjectStatus(
      {
        ...PROVIDER_POOLS,
        namespace,
        name,
        body: {
          apiVersion: `${API_GROUP}/${API_VERSION}`,
          kind: KIND,
          metadata: { name, namespace },
          status,
        },
        fieldManager: FIELD_MANAGER,
        // The operator owns status: take over fields another manager (a user's kubectl) wrote there.
        force: true,
      },
      SERVER_SIDE_APPLY,
    );
    this.#log.info('status written', { pool: key, generation: status.observedGeneration ?? null });
    const before = ProviderPoolStatusSchema.safeParse(pool.status ?? {});
    for (const event of conditionEvents(
      before.success ? before.data.conditions : undefined,
      status.conditions ?? [],
    )) {
      await this.#recordEvent(pool, event);
    }
    return true;
  }

  /** A core/v1 Event on the pool, so `kubectl describe providerpool` shows what happened. Best effort. */
  async #recordEvent(pool: PoolObject, event: ConditionEvent): Promise<void> {
    const namespace = pool.metadata?.namespace ?? 'default';
    const now = new Date(this.#options.scheduler.clock.now());
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
