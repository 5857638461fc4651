/**
 * Virtual time for the routing simulator: a clock that moves only from event to event, and timers kept in a
 * binary heap ordered by due time, then by the order they were set (so two events due at the same instant run
 * first-set first, and a run is deterministic). It is the operator's `Scheduler` (the real control loop and sync
 * hub run on it) and, through `probeScheduler`, the sidecar's.
 *
 * Hand-written rather than a library: it is forty lines, and what it must guarantee (FIFO among equal times,
 * cancellation, timers set while running) is exactly what its tests check.
 */
import type { Clock } from '../../core/clock.ts';
import type { CancelTimer, Scheduler } from '../../operator/timing/scheduler.ts';
import type { Scheduler as ProbeScheduler } from '../../sidecar/health/active-prober.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  fire: (() => void) | undefined;
}

const earlier = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class VirtualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  readonly #heap: Timer[] = [];
  readonly clock: Clock = { now: () => this.#now };
  readonly probeScheduler: ProbeScheduler = {
    schedule: (task, ms) => this.setTimer(ms, task),
  };

  constructor(start = 0) {
    this.#now = start;
  }

  get now(): number {
    return this.#now;
  }

  /** Timers set and neither fired nor cancelled. */
  get pending(): number {
    return this.#heap.filter((t) => t.fire !== undefined).length;
  }

  setTimer(delayMs: number, fire: () => void): CancelTimer {
    return this.at(this.#now + Math.max(0, delayMs), fire);
  }

  /** Runs `fire` at virtual time `at` (never before now). */
  at(at: number, fire: () => void): CancelTimer {
    const timer: Timer = { at: Math.max(at, this.#now), seq: this.#seq++, fire };
    this.#push(timer);
    return () => {
      timer.fire = undefined;
    };
  }

  /** Fires every timer due up to `until` in order (including those set meanwhile), then sets the clock to `until`. */
  runUntil(until: number): void {
    for (;;) {
      const next = this.#heap[0];
      if (next === undefined || next.at > until) break;
      this.#pop();
      const fire = next.fire;
      if (fire === undefined) continue;
      next.fire = undefined;
      this.#now = next.at;
      fire();
    }
    this.#now = Math.max(this.#now, until);
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && earlier(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && earlier(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}
