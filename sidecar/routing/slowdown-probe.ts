/**
 * Probing a target the fleet holds slow (fleet-slowdown.ts). While the slowdown lasts every sidecar leans away from
 * the target, so nothing would show when it recovers: each sidecar's memory of the slowdown only fades over a
 * minute or more. So the operator asks for probes at a small fleet-wide rate (it publishes `probeEveryMs` per
 * sidecar: the fleet's interval × the sidecars in the pool), and each sidecar sends one of its own requests to the
 * target at random times that far apart on average (exponential gaps, so the fleet's sidecars never probe in step).
 * A probe is an ordinary first attempt, with its retries elsewhere if it fails; what it answers is the evidence
 * (slowdown-signal.ts: a slow answer renews the sidecar's sighting, one at the usual speed ends the slowdown for the
 * fleet). Pure: time and randomness are passed in.
 */
import type { Rng } from '../../core/clock.ts';
import { fleetSlowdownAt, type FleetSlowdown } from './fleet-slowdown.ts';

/** An exponential gap with mean `meanMs` (at least a millisecond). */
function gapMs(rng: Rng, meanMs: number): number {
  return Math.max(1, -Math.log(1 - rng()) * meanMs);
}

export class SlowdownProbe {
  /** Since when this sidecar has held the fleet's slowdown without a break; undefined while it holds none. */
  #heldSince: number | undefined;
  /** The target's usual latency when the spell began, what a recovery is judged against. */
  #usualBeforeMs: number | undefined;
  /** When the next probe is due; undefined until drawn (the first look after the signal came). */
  #nextAt: number | undefined;
  /** The mean gap `#nextAt` was drawn with. */
  #drawnEvery: number | undefined;

  /** Since when the fleet's slowdown has been held (answers to requests sent before say nothing of it now). */
  get heldSince(): number | undefined {
    return this.#heldSince;
  }

  /**
   * The target's usual latency as it was when the spell began (ms): a sidecar that keeps sending to the slow
   * target (another strategy, or a pool of one) slowly learns the slow answers as its usual, and a recovery judged
   * against that would be called while the target is still slow.
   */
  get usualBeforeMs(): number | undefined {
    return this.#usualBeforeMs;
  }

  /**
   * The fleet's signal as the last snapshot gave it, with the target's usual latency now: a signal that appears
   * (or is back after it lapsed) starts a new spell; none (or a lapsed one) ends it, and its schedule with it.
   */
  hold(signal: FleetSlowdown | undefined, now: number, usualMs?: number): void {
    if (fleetSlowdownAt(signal, now) > 1) {
      if (this.#heldSince === undefined) {
        this.#heldSince = now;
        this.#usualBeforeMs = usualMs;
      }
    } else {
      this.reset();
    }
  }

  /**
   * Whether a first attempt now should go to the target as a probe. The first look in a spell draws the first
   * probe's time (so sidecars given the signal together do not all probe at once), and so does the first look
   * after the operator changed the interval: the gaps are exponential, so the time left may be drawn afresh at the
   * new rate (without it, times drawn at a spell's first, short interval kept the fleet probing at that rate for
   * minutes). False without probes asked for, or once the signal lapsed.
   */
  due(signal: FleetSlowdown | undefined, now: number, rng: Rng): boolean {
    const every = signal?.probeEveryMs;
    if (every === undefined || fleetSlowdownAt(signal, now) <= 1 || this.#heldSince === undefined)
      return false;
    if (this.#nextAt === undefined || this.#drawnEvery !== every) {
      this.sent(signal, now, rng);
      return false;
    }
    return now >= this.#nextAt;
  }

  /** A probe went out: the next one after another random gap. */
  sent(signal: FleetSlowdown | undefined, now: number, rng: Rng): void {
    const every = signal?.probeEveryMs;
    this.#drawnEvery = every;
    this.#nextAt = every === undefined ? undefined : now + gapMs(rng, every);
  }

  /** The slowdown ended (the fleet saw it recover): no spell, no schedule. */
  reset(): void {
    this.#heldSince = undefined;
    this.#usualBeforeMs = undefined;
    this.#nextAt = undefined;
    this.#drawnEvery = undefined;
  }
}
