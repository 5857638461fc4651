/**
 * The circuit breaker as a pure state machine: `step(state, event, settings, ctx)` returns the next state and
 * reads time and randomness only from `ctx`. CircuitBreaker wraps it with permits and a transition listener.
 *
 *   closed ──(N failures in a row, or failure ratio ≥ threshold over ≥ minRequests)──► open
 *   open ──(backoff elapsed: a matter of time, no event needed)──► half-open
 *   open ──(an active probe, outside traffic, found it answering)──► half-open   (at once: real probes follow)
 *   half-open ──(successesToClose probes succeeded)──► closed        (backoff back to base)
 *   half-open ──(a probe failed)──► open                             (backoff doubled, capped)
 */
import type { Rng } from '../../core/clock.ts';
import type { BreakerSettings } from './breaker-settings.ts';
import { emptyWindow, recordOutcome, windowTotals, type OutcomeWindow } from './outcome-window.ts';

/**
 * 'closed': traffic flows. 'open': traffic is BLOCKED (the circuit is broken, as in an electrical breaker).
 * 'half-open': only a few probe requests pass, to test whether the target recovered.
 */
export type BreakerPhase = 'closed' | 'open' | 'half-open';

export type TransitionReason =
  | 'consecutive-failures'
  | 'failure-rate'
  | 'probe-failed'
  | 'backoff-elapsed'
  | 'active-probe-succeeded'
  | 'probes-succeeded';

/** What a request's outcome says about the target: 'neutral' says nothing (client abort, 429, …). */
export type BreakerVerdict = 'success' | 'failure' | 'neutral';

interface PhaseCommon {
  /** Bumped on every transition; outcomes of requests admitted under another generation are ignored. */
  readonly generation: number;
  /** When this phase began. */
  readonly since: number;
  /** Why this phase began; undefined for a breaker that never left its initial closed state. */
  readonly reason: TransitionReason | undefined;
}

export interface ClosedState extends PhaseCommon {
  readonly phase: 'closed';
  readonly consecutiveFailures: number;
  readonly window: OutcomeWindow;
}

export interface OpenState extends PhaseCommon {
  readonly phase: 'open';
  /** Backoff level of this opening before jitter: base, then doubled per failed probe up to the cap. */
  readonly backoffMs: number;
  /** When the breaker turns half-open. */
  readonly until: number;
}

export interface HalfOpenState extends PhaseCommon {
  readonly phase: 'half-open';
  /** Backoff level of the opening that preceded this phase; a failed probe doubles it. */
  readonly backoffMs: number;
  readonly probesInFlight: number;
  readonly successes: number;
}

export type BreakerState = ClosedState | OpenState | HalfOpenState;

export type BreakerEvent =
  /** A request was let through; only meaningful where `canAdmit` said yes. */
  | { readonly kind: 'admit' }
  /** A request admitted under `generation` finished. */
  | { readonly kind: 'outcome'; readonly verdict: BreakerVerdict; readonly generation: number }
  /** An active probe (a free request outside traffic, e.g. listing models) got an answer. */
  | { readonly kind: 'probe-ok' };

export interface StepContext {
  readonly now: number;
  /** Spreads open times by ±settings.jitterRatio; no jitter without it. */
  readonly rng?: Rng;
}

export function initialBreakerState(now: number, settings: BreakerSettings): ClosedState {
  return {
    phase: 'closed',
    generation: 0,
    since: now,
    reason: undefined,
    consecutiveFailures: 0,
    window: emptyWindow(settings.windowMs),
  };
}

/** The open time for a backoff level: ±jitterRatio around it when there is an rng, never above the cap. */
export function jitteredBackoff(backoffMs: number, settings: BreakerSettings, rng: Rng | undefined): number {
  if (rng === undefined || settings.jitterRatio === 0) return backoffMs;
  const spread = backoffMs * settings.jitterRatio * (2 * rng() - 1);
  return Math.min(settings.maxBackoffMs, backoffMs + spread);
}

/** An open breaker turned half-open at `since`, keeping its backoff level for the next opening. */
function halfOpen(from: OpenState, since: number, reason: TransitionReason): HalfOpenState {
  return {
    phase: 'half-open',
    generation: from.generation + 1,
    since,
    reason,
    backoffMs: from.backoffMs,
    probesInFlight: 0,
    successes: 0,
  };
}

/** Applies the passage of time: an open breaker whose backoff has elapsed is half-open. */
export function elapse(state: BreakerState, now: number): BreakerState {
  if (state.phase !== 'open' || now < state.until) return state;
  return halfOpen(state, state.until, 'backoff-elapsed');
}

/** May a request be let through now? (Call on an elapsed state.) */
export function canAdmit(state: BreakerState, settings: BreakerSettings): boolean {
  switch (state.phase) {
    case 'closed':
      return true;
    case 'open':
      return false;
    case 'half-open':
      return state.probesInFlight < settings.halfOpenProbes;
  }
}

export function step(
  state: BreakerState,
  event: BreakerEvent,
  settings: BreakerSettings,
  ctx: StepContext,
): BreakerState {
  const current = elapse(state, ctx.now);
  if (event.kind === 'admit') {
    if (current.phase !== 'half-open' || !canAdmit(current, settings)) return current;
    return { ...current, probesInFlight: current.probesInFlight + 1 };
  }
  if (event.kind === 'probe-ok') {
    // Only an open breaker is cut short; the real requests of half-open still decide whether it closes.
    return current.phase === 'open' ? halfOpen(current, ctx.now, 'active-probe-succeeded') : current;
  }
  if (event.generation !== current.generation) return current;
  switch (current.phase) {
    case 'closed':
      return onClosedOutcome(current, event.verdict, settings, ctx);
    case 'open':
      return current; // no request is admitted while open, so no outcome can belong to this generation
    case 'half-open':
      return onProbeOutcome(current, event.verdict, settings, ctx);
  }
}

function onClosedOutcome(
  state: ClosedState,
  verdict: BreakerVerdict,
  settings: BreakerSettings,
  ctx: StepContext,
): BreakerState {
  if (verdict === 'neutral') return state;
  // A reload may have changed the window length; counts of the old shape cannot be re-sliced.
  const window = state.window.windowMs === settings.windowMs ? state.window : emptyWindow(settings.windowMs);
  if (verdict === 'success') {
    return { ...state, consecutiveFailures: 0, window: recordOutcome(window, false, ctx.now) };
  }
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (consecutiveFailures >= settings.consecutiveFailures) {
    return open(state, 'consecutive-failures', settings.baseBackoffMs, settings, ctx);
  }
  const recorded = recordOutcome(window, true, ctx.now);
  const totals = windowTotals(recorded, ctx.now);
  if (
    totals.requests >= settings.minRequests &&
    totals.failures / totals.requests >= settings.failureRateThreshold
  ) {
    return open(state, 'failure-rate', settings.baseBackoffMs, settings, ctx);
  }
  return { ...state, consecutiveFailures, window: recorded };
}

function onProbeOutcome(
  state: HalfOpenState,
  verdict: BreakerVerdict,
  settings: BreakerSettings,
  ctx: StepContext,
): BreakerState {
  const probesInFlight = Math.max(0, state.probesInFlight - 1);
  if (verdict === 'failure') {
    const doubled = Math.min(settings.maxBackoffMs, state.backoffMs * 2);
    return open(state, 'probe-failed', doubled, settings, ctx);
  }
  if (verdict === 'neutral') return { ...state, probesInFlight };
  const successes = state.successes + 1;
  if (successes < settings.successesToClose) return { ...state, probesInFlight, successes };
  return {
    phase: 'closed',
    generation: state.generation + 1,
    since: ctx.now,
    reason: 'probes-succeeded',
    consecutiveFailures: 0,
    window: emptyWindow(settings.windowMs),
  };
}

function open(
  from: BreakerState,
  reason: TransitionReason,
  backoffMs: number,
  settings: BreakerSettings,
  ctx: StepContext,
): OpenState {
  return {
    phase: 'open',
    generation: from.generation + 1,
    since: ctx.now,
    reason,
    backoffMs,
    until: ctx.now + jitteredBackoff(backoffMs, settings, ctx.rng),
  };
}
