import { ExponentialBackoff } from '../timing/backoff.ts';
import { systemScheduler, type CancelTimer, type Scheduler } from '../timing/scheduler.ts';

/** Hooks for metrics (see client-go's workqueue metrics); all optional. */
export interface QueueMetrics {
  /** Keys waiting to be processed (not counting delayed or in-flight ones). */
  depth?(depth: number): void;
  /** A key was re-added by `addRateLimited`. */
  retried?(key: string): void;
}

export interface WorkQueueOptions {
  readonly scheduler?: Scheduler;
  readonly backoff?: ExponentialBackoff;
  readonly metrics?: QueueMetrics;
}

/**
 * A keyed, de-duplicating work queue with the semantics of client-go's (@kubernetes/client-node has no work
 * queue):
 * - a key added while it waits is queued once;
 * - a key added while a worker processes it is queued again when the worker calls `done`, so one key is
 *   never processed by two workers at once and no change is lost;
 * - `addAfter` delays a key (the earliest pending time wins); `addRateLimited` delays it by its backoff;
 * - after `shutDown` adds are ignored, waiting keys are still handed out, then `get` returns undefined.
 */
export class WorkQueue {
  readonly #scheduler: Scheduler;
  readonly #backoff: ExponentialBackoff;
  readonly #metrics: QueueMetrics;
  readonly #queue: string[] = [];
  /** Keys that need processing: waiting in #queue, or to be re-queued when their processing is done. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; cancel: CancelTimer }>();
  #waiters: ((key: string | undefined) => void)[] = [];
  #idle: (() => void)[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#backoff = options.backoff ?? new ExponentialBackoff();
    this.#metrics = options.metrics ?? {};
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /** Adds `key` after `delayMs`; if it is already waiting for an earlier time, that time stays. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.#scheduler.clock.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.#scheduler.setTimer(delayMs, () => {
      this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { at, cancel });
  }

  /** Adds `key` after its backoff (5 ms, 10 ms, ... up to 5 min by default): for a failed attempt. */
  addRateLimited(key: string): void {
    const delay = this.#backoff.when(key);
    this.#metrics.retried?.(key);
    this.addAfter(key, delay);
  }

  /** Resets the key's backoff: call when it was processed successfully. */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  retries(key: string): number {
    return this.#backoff.retries(key);
  }

  /** The next key to process (waiting for one if needed); undefined once shut down and empty. */
  get(): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks the processing of `key` finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#enqueue(key);
    if (this.#processing.size === 0) this.#notifyIdle();
  }

  /** Keys waiting to be processed. */
  get length(): number {
    return this.#queue.length;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Stops accepting keys and drops delayed ones; workers still drain what is waiting. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { cancel } of this.#delayed.values()) cancel();
    this.#delayed.clear();
    if (this.#queue.length === 0) this.#releaseWaiters();
  }

  /** shutDown, then resolves once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #enqueue(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
      return;
    }
    this.#queue.push(key);
    this.#metrics.depth?.(this.#queue.length);
  }

  #take(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#metrics.depth?.(this.#queue.length);
    this.#dirty.delete(key);
    this.#processing.add(key);
    if (this.#shuttingDown && this.#queue.length === 0) this.#releaseWaiters();
    return key;
  }

  #releaseWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(undefined);
  }

  #notifyIdle(): void {
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}
