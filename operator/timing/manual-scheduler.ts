import { ManualClock } from '../../core/clock.ts';
import type { CancelTimer, Scheduler } from './scheduler.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
}

/** Virtual time for tests: timers fire, in order of due time, only inside `advance`. */
export class ManualScheduler implements Scheduler {
  readonly clock: ManualClock;
  #timers: Timer[] = [];
  #seq = 0;

  constructor(start = 0) {
    this.clock = new ManualClock(start);
  }

  setTimer(delayMs: number, fire: () => void): CancelTimer {
    const timer: Timer = { at: this.clock.now() + Math.max(0, delayMs), seq: this.#seq++, fire };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, if any. */
  nextAt(): number | undefined {
    return this.#next()?.at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (also ones set by timers that fire). */
  advance(ms: number): void {
    const until = this.clock.now() + ms;
    for (let timer = this.#next(); timer && timer.at <= until; timer = this.#next()) {
      this.#timers = this.#timers.filter((t) => t !== timer);
      this.clock.set(timer.at);
      timer.fire();
    }
    this.clock.set(until);
  }

  #next(): Timer | undefined {
    let first: Timer | undefined;
    for (const t of this.#timers)
      if (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq)) first = t;
    return first;
  }
}
