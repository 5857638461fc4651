/**
 * Who learns how each upstream attempt ended. The attempt's lease (attempt-lease.ts) calls every observer exactly
 * once per attempt that went out; the metrics are one observer (sidecar/metrics/metrics-observer.ts), and more can
 * be added (fleet reports to the operator, say) through `ForwardDeps.observers`, without touching the request path.
 */
import type { BreakerVerdict } from '../breaker/circuit-breaker.ts';
import type { FaultScope } from './judge-outcome.ts';
import type { TokenUsage } from '../providers/adapter.ts';
import type { Target } from '../routing/target.ts';

export interface AttemptOutcome {
  /** What the attempt says about the provider's health ('neutral': nothing, e.g. the client left, a 429). */
  readonly verdict: BreakerVerdict;
  /**
   * The HTTP status the attempt ended with: the provider's answer, or the one an in-stream error stands for;
   * undefined for transport errors, timeouts and cut streams (metrics count those as status class "error").
   */
  readonly status: number | undefined;
  /** Latency to learn from: to the whole answer, or to the first token of a stream; undefined if none came. */
  readonly latencyMs: number | undefined;
  /** Time from the sidecar receiving the request to the stream's first token; undefined if none came. */
  readonly ttftMs: number | undefined;
  /** Tokens the provider reported for a served answer. */
  readonly usage: TokenUsage | undefined;
  /** Where a failure lives: the whole provider or this model of it (judge-outcome.ts). */
  readonly scope: FaultScope;
  /** The provider rate-limited the attempt (a 429, in the head or in the stream): provider or model cools down. */
  readonly rateLimited: boolean;
  /** The provider refused the pool's credentials (401/403). */
  readonly credentialsRefused: boolean;
}

export interface OutcomeObserver {
  /** An attempt went out to `target`. */
  attemptStarted(target: Target): void;
  /** The attempt that went out to `target` ended `elapsedMs` after it started; once per `attemptStarted`. */
  attemptEnded(target: Target, outcome: AttemptOutcome, elapsedMs: number): void;
  /**
   * A request wanted `target` but this sidecar's quota share of its provider was used up (demand all the same);
   * `estimatedTokens`: the request's token estimate.
   */
  quotaRefused?(target: Target, estimatedTokens: number): void;
}

/** Several observers as one, called in order. */
export function observeAll(observers: readonly OutcomeObserver[]): OutcomeObserver {
  if (observers.length === 1 && observers[0]) return observers[0];
  return {
    attemptStarted: (target) => {
      for (const o of observers) o.attemptStarted(target);
    },
    attemptEnded: (target, outcome, elapsedMs) => {
      for (const o of observers) o.attemptEnded(target, outcome, elapsedMs);
    },
    quotaRefused: (target, estimatedTokens) => {
      for (const o of observers) o.quotaRefused?.(target, estimatedTokens);
    },
  };
}
