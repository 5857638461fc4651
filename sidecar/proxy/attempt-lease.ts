/**
 * One upstream attempt in flight, as tower's in-flight handle: taken when the request goes out, ended exactly once
 * (in `finally`), and the one place an outcome is recorded: the target's load statistics, the breaker permits (a
 * failure to the provider's or the model's, by its scope), the provider's in-flight count and hard-down mark, and
 * every outcome observer (metrics among them).
 */
import type { InFlightHandle } from '../balancer/target-stats.ts';
import type { Target } from '../routing/target.ts';
import type { TargetPermit } from '../routing/target-permit.ts';
import type { AttemptOutcome, OutcomeObserver } from './outcome-observer.ts';

export class AttemptLease {
  readonly #target: Target;
  readonly #permit: TargetPermit;
  readonly #observer: OutcomeObserver;
  readonly #handle: InFlightHandle;
  readonly #startedAt: number;
  #ended = false;

  constructor(target: Target, permit: TargetPermit, observer: OutcomeObserver, now: number) {
    this.#target = target;
    this.#permit = permit;
    this.#observer = observer;
    this.#handle = target.stats.start(now);
    this.#startedAt = now;
    target.provider.inFlight += 1;
    observer.attemptStarted(target);
  }

  /** Records `outcome` once; later calls are ignored. */
  end(outcome: AttemptOutcome, now: number): void {
    if (this.#ended) return;
    this.#ended = true;
    const { verdict } = outcome;
    const provider = this.#target.provider;
    if (verdict === 'neutral') this.#handle.abandon(now);
    else this.#handle.end(now, { ok: verdict === 'success', latencyMs: outcome.latencyMs });
    this.#permit.release(verdict, outcome.scope, now);
    if (outcome.credentialsRefused) provider.credentialsRefused = true;
    else if (verdict === 'success') provider.credentialsRefused = false;
    provider.inFlight -= 1;
    this.#observer.attemptEnded(this.#target, outcome, Math.max(0, now - this.#startedAt));
  }
}
