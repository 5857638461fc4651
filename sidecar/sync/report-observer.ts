/** Feeds every attempt's outcome into the report for the operator (one more OutcomeObserver beside the metrics). */
import { expectedCostUsd } from '../balancer/strategies/expected-cost.ts';
import type { AttemptOutcome, OutcomeObserver } from '../proxy/outcome-observer.ts';
import type { Target } from '../routing/target.ts';
import type { AttemptVerdict, ReportCollector } from './report-collector.ts';

function verdictOf(outcome: AttemptOutcome): AttemptVerdict {
  if (outcome.rateLimited) return 'rate-limited';
  return outcome.verdict;
}

export function reportObserver(collector: ReportCollector): OutcomeObserver {
  return {
    attemptStarted(target: Target) {
      collector.recordDemand(target.provider.name, target.logicalModel, 0);
    },
    quotaRefused(target: Target, estimatedTokens: number) {
      collector.recordDemand(target.provider.name, target.logicalModel, estimatedTokens);
    },
    attemptEnded(target: Target, outcome: AttemptOutcome, elapsedMs: number) {
      const usage = outcome.usage;
      if (usage !== undefined)
        collector.recordDemandTokens(
          target.provider.name,
          target.logicalModel,
          usage.inputTokens + usage.outputTokens,
        );
      collector.recordAttempt({
        provider: target.provider.name,
        model: target.logicalModel,
        verdict: verdictOf(outcome),
        elapsedMs,
        ...(outcome.latencyMs === undefined ? {} : { latencyMs: outcome.latencyMs }),
        ...(outcome.ttftMs === undefined ? {} : { timeToFirstTokenMs: outcome.ttftMs }),
        ...(usage === undefined
          ? {}
          : {
              inputTokens: usage.inputTokens,
              outputTokens: usage.outputTokens,
              costUSD:
                target.price === undefined
                  ? 0
                  : expectedCostUsd(target.price, { input: usage.inputTokens, output: usage.outputTokens }),
            }),
      });
    },
  };
}
