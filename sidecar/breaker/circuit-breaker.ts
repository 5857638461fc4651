/**
 * One circuit breaker per provider target, for the request path: ask `tryAcquire(now)` before sending, and
 * release the permit exactly once with the request's verdict. Every call takes `now`, so the breaker is
 * deterministic and runs in virtual time; the state machine itself lives in breaker-transitions.ts.
 */
import type { Rng } from '../../core/clock.ts';
import { breakerSettings, type BreakerSettings } from './breaker-settings.ts';
import {
  canAdmit,
  elapse,
  initialBreakerState,
  step,
  type BreakerEvent,
  type BreakerPhase,
  type BreakerState,
  type BreakerVerdict,
  type TransitionReason,
} from './breaker-transitions.ts';

export { DEFAULT_BREAKER_SETTINGS, breakerSettings, type BreakerSettings } from './breaker-settings.ts';
export type { BreakerPhase, BreakerState, BreakerVerdict, TransitionReason } from './breaker-transitions.ts';

export interface BreakerTransition {
  readonly from: BreakerPhase;
  readonly to: BreakerPhase;
  readonly reason: TransitionReason;
  /** When the transition took effect (for open → half-open: the deadline, even if noticed later). */
  readonly at: number;
  /** The state entered, e.g. to log an open breaker's `until` and `backoffMs`. */
  readonly state: BreakerState;
}

export type TransitionListener = (transition: BreakerTransition) => void;

/** Leave to send one request to the target. */
export interface BreakerPermit {
  /** True when the request is a half-open probe. */
  readonly probe: boolean;
  /**
   * Reports how the request went. Only the first call counts; later ones are ignored. Use 'neutral' for outcomes
   * that say nothing about the target's health (the client went away, a 429 handled by cool-down).
   */
  release(verdict: BreakerVerdict, now: number): void;
}

export interface CircuitBreakerOptions {
  /** Start of the breaker's life (closed). */
  readonly now: number;
  readonly settings?: Partial<BreakerSettings>;
  /** Jitters open times; without it they are exact. */
  readonly rng?: Rng;
  readonly onTransition?: TransitionListener;
}

export class CircuitBreaker {
  private settingsInUse: BreakerSettings;
  private current: BreakerState;
  private readonly rng: Rng | undefined;
  private readonly onTransition: TransitionListener | undefined;

  constructor(options: CircuitBreakerOptions) {
    this.settingsInUse = breakerSettings(options.settings);
    this.current = initialBreakerState(options.now, this.settingsInUse);
    this.rng = options.rng;
    this.onTransition = options.onTransition;
  }

  get settings(): BreakerSettings {
    return this.settingsInUse;
  }

  /** 'closed' | 'open' | 'half-open' at `now`; open turns half-open by time alone. */
  state(now: number): BreakerPhase {
    return this.snapshot(now).phase;
  }

  /** The full state at `now` (counts, backoff, deadlines), for status and tests. */
  snapshot(now: number): BreakerState {
    this.apply(elapse(this.current, now));
    return this.current;
  }

  /** When an open breaker turns half-open; undefined unless open at `now`. */
  nextChangeAt(now: number): number | undefined {
    const s = this.snapshot(now);
    return s.phase === 'open' ? s.until : undefined;
  }

  /** Would `tryAcquire(now)` hand out a permit? For filtering candidates before a pick, without taking one. */
  wouldAdmit(now: number): boolean {
    return canAdmit(this.snapshot(now), this.settingsInUse);
  }

  /** A permit to send one request now, or undefined when the breaker blocks (open, or half-open with all probes out). */
  tryAcquire(now: number): BreakerPermit | undefined {
    const s = this.snapshot(now);
    if (!canAdmit(s, this.settingsInUse)) return undefined;
    this.dispatch({ kind: 'admit' }, now);
    return this.permit(s.generation, s.phase === 'half-open');
  }

  /**
   * An active probe found the target answering: an open breaker turns half-open now rather than at the end of its
   * backoff, so real requests test the target within seconds of its recovery.
   */
  activeProbeSucceeded(now: number): void {
    this.dispatch({ kind: 'probe-ok' }, now);
  }

  /**
   * A config reload: the settings become the defaults overlaid with `overrides` (not the previous settings), and
   * the state is kept: phase, consecutive failures, backoff, deadline and probes in flight. Only a changed
   * `windowMs` starts the failure-rate window afresh, as its buckets cannot be re-sliced.
   */
  updateSettings(overrides: Partial<BreakerSettings>): void {
    this.settingsInUse = breakerSettings(overrides);
  }

  private permit(generation: number, probe: boolean): BreakerPermit {
    let released = false;
    return {
      probe,
      release: (verdict, now) => {
        if (released) return;
        released = true;
        this.dispatch({ kind: 'outcome', verdict, generation }, now);
      },
    };
  }

  private dispatch(event: BreakerEvent, now: number): void {
    this.snapshot(now); // report a time-driven transition on its own before the event's
    this.apply(step(this.current, event, this.settingsInUse, { now, rng: this.rng }));
  }

  private apply(next: BreakerState): void {
    const previous = this.current;
    this.current = next;
    if (next.generation !== previous.generation && next.reason !== undefined) {
      this.onTransition?.({
        from: previous.phase,
        to: next.phase,
        reason: next.reason,
        at: next.since,
        state: next,
      });
    }
  }
}
