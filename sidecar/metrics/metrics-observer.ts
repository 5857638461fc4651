import type { AttemptOutcome, OutcomeObserver } from '../proxy/outcome-observer.ts';
import type { Target } from '../routing/target.ts';
import { expectedCostUsd } from '../balancer/strategies/expected-cost.ts';
import { statusClass, type SidecarMetrics } from './metrics.ts';

/** The Prometheus side of every attempt's outcome: in-flight, attempts by status class, TTFT, 429s, tokens, cost. */
export class MetricsObserver implements OutcomeObserver {
  readonly #metrics: SidecarMetrics;

  constructor(metrics: SidecarMetrics) {
    this.#metrics = metrics;
  }

  attemptStarted(target: Target): void {
    this.#metrics.inFlight.inc({ provider: target.provider.name });
  }

  attemptEnded(target: Target, outcome: AttemptOutcome): void {
    const m = this.#metrics;
    const provider = target.provider.name;
    const labels = { provider, model: target.logicalModel };
    m.inFlight.dec({ provider });
    m.attempts.inc({ ...labels, status_class: statusClass(outcome.status) });
    if (outcome.ttftMs !== undefined) m.timeToFirstToken.observe(labels, outcome.ttftMs / 1000);
    if (outcome.rateLimited) m.rateLimited.inc({ provider });
    const usage = outcome.usage;
    if (!usage) return;
    m.tokens.inc({ ...labels, direction: 'input' }, usage.inputTokens);
    m.tokens.inc({ ...labels, direction: 'output' }, usage.outputTokens);
    if (target.price)
      m.cost.inc(
        labels,
        expectedCostUsd(target.price, { input: usage.inputTokens, output: usage.outputTokens }),
      );
  }
}

const OBSERVERS = new WeakMap<SidecarMetrics, MetricsObserver>();

/** The one metrics observer of a registry, made once. */
export function metricsObserver(metrics: SidecarMetrics): MetricsObserver {
  let observer = OBSERVERS.get(metrics);
  if (!observer) {
    observer = new MetricsObserver(metrics);
    OBSERVERS.set(metrics, observer);
  }
  return observer;
}
