import {
  ADD,
  DELETE,
  ERROR,
  ListWatch,
  UPDATE,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { systemRng, type Rng } from '../../core/clock.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { describeKubeError } from '../kube/api-error.ts';
import { objectKey } from '../kube/types.ts';
import { backoffDelay } from '../timing/backoff.ts';
import { Sleeper, systemScheduler, type Scheduler } from '../timing/scheduler.ts';
import { InformerWatch } from './informer-watch.ts';

export interface InformerHandlers<T extends KubernetesObject> {
  onAdd?(object: T): void;
  onUpdate?(object: T): void;
  /** `object` is the last state known (from the DELETED event, or the store when a relist found it gone). */
  onDelete?(object: T): void;
}

/** One page of a list: its items, the list's resourceVersion, and the token of the next page. */
export interface Page<T extends KubernetesObject> {
  readonly items: T[];
  readonly resourceVersion?: string;
  readonly continue?: string;
}

/** Lists one page of the collection (with a typed API, see collections.ts). */
export type ListPage<T extends KubernetesObject> = (page: {
  limit: number;
  continue?: string;
}) => Promise<Page<T>>;

export interface InformerOptions<T extends KubernetesObject> {
  readonly config: KubeConfig;
  /** The collection's REST path, e.g. /apis/switchboard.dev/v1alpha1/namespaces/team/providerpools. */
  readonly path: string;
  readonly listPage: ListPage<T>;
  /** Watch only objects matching this field selector (e.g. `metadata.name=NAME`); `listPage` must apply it too. */
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
   * A watch with no byte (neither event nor bookmark) for this long is presumed stalled, e.g. a half-open
   * connection, and resumed from the last resourceVersion. The API server sends bookmarks about once a minute.
   */
  readonly inactivityTimeoutMs?: number;
}

/** The informer's objects, keyed namespace/name. */
export interface ReadonlyStore<T extends KubernetesObject> {
  get(key: string): T | undefined;
  list(): readonly T[];
  keys(): string[];
}

/**
 * List + watch of one collection into a store, calling handlers on changes: the library's ListWatch (store,
 * resume from the last resourceVersion, relist after 410 Gone with deletes for what vanished, reconnect after a
 * clean end or a silent watch) with what it lacks on top:
 * - after any other error (a refused connection, a 500, a cut mid-list) ListWatch stops for good; here it is
 *   restarted after a jittered exponential backoff, reset by any event;
 * - bookmarks, the watch timeout spread and the inactivity timeout (see InformerWatch);
 * - lists in pages of 500 (ListWatch lists in one request);
 * - `hasSynced`, handlers isolated from each other (ListWatch calls them from an async function: one that throws
 *   would be an unhandled rejection), and virtual time for tests (injected scheduler and rng).
 */
export class Informer<T extends KubernetesObject> {
  readonly #options: InformerOptions<T>;
  readonly #scheduler: Scheduler;
  readonly #delays: Sleeper;
  readonly #restarts: Sleeper;
  readonly #rng: Rng;
  readonly #logger: Logger;
  readonly #listWatch: ListWatch<T>;
  #failures = 0;
  #synced = false;
  #started = false;
  #stopped = false;

  constructor(options: InformerOptions<T>) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#delays = new Sleeper(this.#scheduler);
    this.#restarts = new Sleeper(this.#scheduler);
    this.#rng = options.rng ?? systemRng;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'informer', path: options.path });
    const minTimeout = options.watchTimeoutSeconds ?? 300;
    const watch = new InformerWatch(
      options.config,
      {
        query: () => ({
          allowWatchBookmarks: true,
          timeoutSeconds: Math.floor(minTimeout * (1 + this.#rng())),
        }),
        onEvent: () => (this.#failures = 0),
        onOpen: () => (this.#synced = true),
        stopped: () => this.#stopped,
      },
      options.inactivityTimeoutMs ?? 150_000,
    );
    this.#listWatch = new ListWatch<T>(
      options.path,
      watch,
      () => this.#listAll(),
      false,
      undefined,
      options.fieldSelector,
      {
        delayFn: (ms) => this.#delays.sleep(ms),
      },
    );
    this.#listWatch.on(ERROR, (err: unknown) => this.#restartAfter(err));
  }

  get store(): ReadonlyStore<T> {
    const listWatch = this.#listWatch;
    return {
      get(key) {
        const slash = key.indexOf('/');
        return slash < 0 ? listWatch.get(key) : listWatch.get(key.slice(slash + 1), key.slice(0, slash));
      },
      list: () => listWatch.list(),
      keys: () => listWatch.list().map(objectKey),
    };
  }

  /** The version the next watch resumes from ('' : the next round lists). */
  get resourceVersion(): string {
    return this.#listWatch.latestResourceVersion();
  }

  /** True once the first list is in the store and its handlers were called. */
  hasSynced(): boolean {
    return this.#synced;
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    const isolate = (what: string, handler: ((object: T) => void) | undefined) => (object: T) => {
      try {
        handler?.(object);
      } catch (err) {
        this.#logger.error(`informer ${what} handler threw`, { error: String(err) });
      }
    };
    this.#listWatch.on(ADD, isolate('add', handlers.onAdd?.bind(handlers)));
    this.#listWatch.on(UPDATE, isolate('update', handlers.onUpdate?.bind(handlers)));
    this.#listWatch.on(DELETE, isolate('delete', handlers.onDelete?.bind(handlers)));
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopped = false;
    void this.#listWatch.start();
  }

  /** Ends the watch and any wait; nothing is reopened afterwards. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#started = false;
    this.#delays.wake();
    this.#restarts.wake();
    await this.#listWatch.stop();
  }

  #restartAfter(err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#backoff(this.#failures++);
    this.#logger.warn('list/watch failed; restarting', { error: describeKubeError(err), delayMs: delay });
    void this.#restarts.sleep(delay).then(() => {
      if (!this.#stopped) return this.#listWatch.start();
    });
  }

  async #listAll(): Promise<KubernetesListObject<T>> {
    const items: T[] = [];
    let page: Page<T> | undefined;
    do {
      page = await this.#options.listPage({ limit: 500, continue: page?.continue || undefined });
      items.push(...page.items);
    } while (page.continue);
    this.#failures = 0;
    return { metadata: { resourceVersion: page.resourceVersion }, items };
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
