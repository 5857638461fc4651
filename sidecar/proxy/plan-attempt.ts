/**
 * The routing decision before each upstream attempt of one request, without I/O: may another attempt be made
 * (attempts left, the retry budget allows a retry), and to which target (the strategy within the best tier, others
 * before those already tried, panic routing for a first attempt). `forward` runs it before every attempt; the
 * routing simulator (bench/routing) runs the very same function in virtual time.
 */
import type { PickContext, Strategy } from '../balancer/types.ts';
import type { RetryBudget } from '../retry/retry-budget.ts';
import { selectOrPanic, type NoneAvailable, type Selected } from '../routing/select-target.ts';
import type { Target } from '../routing/target.ts';

export interface AttemptPlanInput {
  readonly targets: readonly Target[];
  readonly strategy: Strategy;
  readonly retryBudget: RetryBudget;
  /** The pool's `retry.attempts`: retries allowed after the first attempt. */
  readonly retries: number;
  /** Retries this request has made so far. */
  readonly retriesMade: number;
  /**
   * Whether this attempt is a retry, paid from `retries` and the retry budget. A first attempt is not; neither is a
   * move to a target with a larger context window after a context-length error (nothing failed but the fit).
   */
  readonly isRetry: boolean;
  /** Providers already tried for this request. */
  readonly tried: ReadonlySet<string>;
  readonly ctx: PickContext;
}

export type AttemptPlan =
  | { readonly kind: 'send'; readonly selection: Selected }
  /** No target may take the request now (the selection says why and until when). */
  | { readonly kind: 'none-available'; readonly selection: NoneAvailable }
  /** Every attempt the pool allows was made. */
  | { readonly kind: 'attempts-used' }
  /** A retry would exceed the retry budget (a share of recent traffic). */
  | { readonly kind: 'retry-budget-exhausted' };

/** Spends a retry from the budget and takes the pick's breaker permit when it says `send`. */
export function planAttempt(input: AttemptPlanInput): AttemptPlan {
  const { ctx } = input;
  if (input.isRetry) {
    if (input.retriesMade >= input.retries) return { kind: 'attempts-used' };
    if (!input.retryBudget.tryWithdraw(ctx.now)) return { kind: 'retry-budget-exhausted' };
  }
  const selection = selectOrPanic(input.targets, input.strategy, ctx, input.tried);
  return selection.target ? { kind: 'send', selection } : { kind: 'none-available', selection };
}
