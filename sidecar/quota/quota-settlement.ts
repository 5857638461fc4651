/**
 * Settles a request's token estimate against its provider's quota budget once the answer says what it used (the
 * usage of a JSON answer, or of a stream's final event): one more OutcomeObserver on the request path.
 */
import type { Clock } from '../../core/clock.ts';
import type { AttemptOutcome, OutcomeObserver } from '../proxy/outcome-observer.ts';
import type { Target } from '../routing/target.ts';
import { settleQuota } from './target-quota.ts';

/** @param estimated the tokens each attempt of this request took from its provider's budget when it was picked */
export function quotaSettlement(clock: Clock, estimated: number): OutcomeObserver {
  return {
    attemptStarted: () => undefined,
    attemptEnded(target: Target, outcome: AttemptOutcome) {
      const usage = outcome.usage;
      if (usage === undefined) return;
      settleQuota(target, clock.now(), estimated, usage.inputTokens + usage.outputTokens);
    },
  };
}
