import { systemClock, type Clock } from '../../core/clock.ts';

/** Cancels a timer; calling it after the timer fired does nothing. */
export type CancelTimer = () => void;

/**
 * Time for components that wait: a clock to read and timers to set. The system one uses real timers;
 * ManualScheduler moves only when a test says so (virtual time).
 */
export interface Scheduler {
  readonly clock: Clock;
  setTimer(delayMs: number, fire: () => void): CancelTimer;
}

/** Real timers, unref'd: a pending retry or requeue never keeps the process alive on its own. */
export const systemScheduler: Scheduler = {
  clock: systemClock,
  setTimer(delayMs, fire) {
    const timer = setTimeout(fire, Math.max(0, delayMs));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * One wait at a time on a scheduler that `wake()` ends early: how a stop interrupts a loop sleeping between
 * rounds. Waking when nothing sleeps does nothing.
 */
export class Sleeper {
  readonly #scheduler: Scheduler;
  #wake: (() => void) | undefined;

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.#scheduler.setTimer(ms, () => {
        this.#wake = undefined;
        resolve();
      });
      this.#wake = () => {
        cancel();
        this.#wake = undefined;
        resolve();
      };
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
