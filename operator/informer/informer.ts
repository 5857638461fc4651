import { systemRng, type Rng } from '../../sidecar/core/clock.ts';
import { silentLogger, type Logger } from '../../sidecar/core/log.ts';
import { KubeApiError } from '../kube/api-error.ts';
import type { KubeClient } from '../kube/client.ts';
import { objectKey, type KubeObject, type ResourceType, type Status } from '../kube/types.ts';
import { backoffDelay } from '../timing/backoff.ts';
import { Sleeper, systemScheduler, type CancelTimer, type Scheduler } from '../timing/scheduler.ts';
import { Store, type ReadonlyStore } from './store.ts';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(object: T): void;
  onUpdate?(old: T, object: T): void;
  /** `object` is the last state known (from the DELETED event, or the store when a relist found it gone). */
  onDelete?(object: T): void;
}

export interface InformerOptions {
  readonly client: KubeClient;
  readonly type: ResourceType;
  /** Only this namespace; all namespaces when undefined. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly scheduler?: Scheduler;
  readonly rng?: Rng;
  readonly logger?: Logger;
  /** Restart backoff after errors: base doubling to cap, jittered to [½, 1]× (default 800 ms → 30 s, as client-go). */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** The server ends each watch after between this and twice this (default 5 min), spreading reconnects. */
  readonly watchTimeoutSeconds?: number;
  /**
   * A watch with neither an event nor a bookmark for this long is presumed stalled (a half-open connection)
   * and restarted from the last resourceVersion. The API server sends bookmarks about once a minute.
   */
  readonly stallTimeoutMs?: number;
}

/** Why a watch ended, when it did not throw. */
type WatchEnd = 'closed' | 'stalled' | 'stopped';

/**
 * List + watch of one resource type into an in-memory store, calling handlers on each change (client-go's
 * reflector and informer in one): resumes watches from the last resourceVersion (bookmarks move it too),
 * restarts after errors with jittered exponential backoff, relists after 410 Gone (diffing the store so
 * objects that vanished meanwhile produce deletes), and restarts watches that fall silent.
 */
export class Informer<T extends KubeObject> {
  readonly #options: InformerOptions;
  readonly #scheduler: Scheduler;
  readonly #sleeper: Sleeper;
  readonly #rng: Rng;
  readonly #logger: Logger;
  readonly #store = new Store<T>();
  readonly #handlers: InformerHandlers<T>[] = [];
  #resourceVersion: string | undefined;
  #synced = false;
  #running: Promise<void> | undefined;
  #stopped = false;
  #abortWatch: AbortController | undefined;

  constructor(options: InformerOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#sleeper = new Sleeper(this.#scheduler);
    this.#rng = options.rng ?? systemRng;
    this.#logger = (options.logger ?? silentLogger).child({
      component: 'informer',
      resource: options.type.plural,
    });
  }

  get store(): ReadonlyStore<T> {
    return this.#store;
  }

  /** The version the next watch resumes from (undefined: the next round lists). */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** True once the first list has been loaded into the store and its handlers called. */
  hasSynced(): boolean {
    return this.#synced;
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  start(): void {
    if (this.#running) return;
    this.#stopped = false;
    this.#running = this.#run();
  }

  /** Ends the watch and the loop; resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abortWatch?.abort();
    this.#sleeper.wake();
    await this.#running;
    this.#running = undefined;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        if (this.#resourceVersion === undefined) await this.#relist();
        const { end, events } = await this.#watch();
        if (end === 'stalled') this.#logger.warn('watch silent too long; restarting it');
        if (end !== 'closed' || events > 0) {
          failures = 0;
          continue;
        }
        // Closed at once with nothing in it (a misbehaving proxy, a server shutting down): back off rather
        // than spin. Nothing is lost: the next watch resumes from the same version.
        await this.#sleeper.sleep(this.#backoff(failures++));
      } catch (err) {
        if (this.#stopped) break;
        if (err instanceof KubeApiError && err.gone) {
          this.#logger.info('resourceVersion expired; relisting', { resourceVersion: this.#resourceVersion });
          this.#resourceVersion = undefined;
          continue;
        }
        const delay = this.#backoff(failures++);
        this.#logger.warn('list/watch failed; retrying', { error: String(err), delayMs: delay });
        await this.#sleeper.sleep(delay);
      }
    }
  }

  async #relist(): Promise<void> {
    const { client, type, namespace, labelSelector, fieldSelector } = this.#options;
    // Pages of 500, as client-go's reflector, so a large collection is not one huge response.
    const list = await client.list<T>(type, { namespace, labelSelector, fieldSelector, limit: 500 });
    if (this.#stopped) return;
    const seen = new Set<string>();
    for (const object of list.items) {
      seen.add(objectKey(object));
      this.#apply('MODIFIED', object);
    }
    for (const old of this.#store.list()) if (!seen.has(objectKey(old))) this.#apply('DELETED', old);
    this.#resourceVersion = list.metadata.resourceVersion;
    this.#synced = true;
  }

  async #watch(): Promise<{ end: WatchEnd; events: number }> {
    const { client, type, namespace, labelSelector, fieldSelector } = this.#options;
    const abort = new AbortController();
    this.#abortWatch = abort;
    const stallMs = this.#options.stallTimeoutMs ?? 150_000;
    let stalled = false;
    let received = 0;
    let cancelWatchdog: CancelTimer = () => {};
    const armWatchdog = () => {
      cancelWatchdog();
      cancelWatchdog = this.#scheduler.setTimer(stallMs, () => {
        stalled = true;
        abort.abort();
      });
    };
    const minTimeout = this.#options.watchTimeoutSeconds ?? 300;
    armWatchdog();
    try {
      const events = client.watch<T>(type, {
        namespace,
        labelSelector,
        fieldSelector,
        resourceVersion: this.#resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(minTimeout * (1 + this.#rng())),
        signal: abort.signal,
      });
      for await (const event of events) {
        armWatchdog();
        received++;
        if (event.type === 'ERROR') throw errorFromStatus(event.object);
        if (event.type === 'BOOKMARK') {
          this.#resourceVersion = event.object.metadata?.resourceVersion ?? this.#resourceVersion;
          continue;
        }
        this.#apply(event.type, event.object);
        this.#resourceVersion = event.object.metadata?.resourceVersion ?? this.#resourceVersion;
      }
    } finally {
      cancelWatchdog();
      this.#abortWatch = undefined;
    }
    const end = this.#stopped ? 'stopped' : stalled ? 'stalled' : 'closed';
    return { end, events: received };
  }

  /** Applies one change to the store and tells the handlers (ADDED of a known object is an update). */
  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void {
    if (type === 'DELETED') {
      this.#store.remove(object);
      this.#notify((h) => h.onDelete?.(object));
      return;
    }
    const old = this.#store.put(object);
    if (!old) this.#notify((h) => h.onAdd?.(object));
    else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion)
      this.#notify((h) => h.onUpdate?.(old, object));
  }

  #notify(call: (handlers: InformerHandlers<T>) => void): void {
    for (const handlers of this.#handlers) {
      try {
        call(handlers);
      } catch (err) {
        this.#logger.error('informer handler threw', { error: String(err) });
      }
    }
  }

  #backoff(failures: number): number {
    const delay = backoffDelay(
      failures,
      this.#options.backoffBaseMs ?? 800,
      this.#options.backoffCapMs ?? 30_000,
    );
    return delay / 2 + (this.#rng() * delay) / 2;
  }
}

function errorFromStatus(status: Status): KubeApiError {
  return new KubeApiError('WATCH event', status.code ?? 500, status);
}
