/**
 * Active health probes of one provider whose breakers are open, independent of traffic (as Envoy's active health
 * checks): every `intervalMs` while one of its breakers stays open (the provider's, or one of its models'), a free
 * request (the dialect's `probeRequest`: listing or reading models); the first that succeeds turns every open one
 * half-open at once, so real requests test the provider and its models within seconds of their recovery instead of
 * after a backoff that may have grown to minutes. (For a model's breaker the probe only says the provider answers;
 * half-open lets a few live requests find out whether the model does.) Time and I/O are
 * injected: the scheduler, the clock and the probe itself, so the loop runs in virtual time in tests.
 */
import type { Clock } from '../../core/clock.ts';
import type { CircuitBreaker } from '../breaker/circuit-breaker.ts';

export interface Scheduler {
  /** Runs `task` after `ms`; the returned function cancels it. */
  schedule(task: () => void, ms: number): () => void;
}

/** Node's timers, unref'd so probes never keep a process alive. */
export const timerScheduler: Scheduler = {
  schedule(task, ms) {
    const timer = setTimeout(task, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** One probe: true when the provider answered as a healthy one does. Never throws. */
export type Probe = () => Promise<boolean>;

export interface ActiveProberOptions {
  /** The breakers the probes serve: the provider's and its models'. */
  readonly breakers: () => Iterable<CircuitBreaker>;
  readonly probe: Probe;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly intervalMs: number;
}

export class ActiveProber {
  readonly #o: ActiveProberOptions;
  #cancel: (() => void) | undefined;
  #probing = false;
  #stopped = false;

  constructor(options: ActiveProberOptions) {
    this.#o = options;
  }

  /** True while a probe loop runs (a probe scheduled or in flight). */
  get active(): boolean {
    return this.#cancel !== undefined || this.#probing;
  }

  /** A breaker opened: probe until none is open. A loop already running is kept. */
  breakerOpened(): void {
    if (this.#stopped || this.active) return;
    this.#next();
  }

  /** Ends the loop for good (the provider left the pool, or probes were switched off). */
  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #next(): void {
    this.#cancel = this.#o.scheduler.schedule(() => void this.#tick(), this.#o.intervalMs);
  }

  async #tick(): Promise<void> {
    this.#cancel = undefined;
    const { clock, probe } = this.#o;
    if (this.#stopped || this.#open(clock.now()).length === 0) return;
    this.#probing = true;
    const ok = await probe();
    this.#probing = false;
    if (this.#stopped) return;
    const open = this.#open(clock.now());
    if (ok) for (const breaker of open) breaker.activeProbeSucceeded(clock.now());
    else if (open.length > 0) this.#next();
  }

  #open(now: number): CircuitBreaker[] {
    return [...this.#o.breakers()].filter((b) => b.state(now) === 'open');
  }
}
