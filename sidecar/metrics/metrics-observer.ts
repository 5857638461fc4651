import type { AttemptOutcome, OutcomeObserver } from '../proxy/outcome-observer.ts';
import type { Target } from '../routing/target.ts';
import { expectedCostUsd } from '../balancer/strategies/expected-cost.ts';
import { statusClass, type SidecarMetrics, type StatusClass } from './metrics.ts';
import type { SeriesCell } from './batched-metrics.ts';

type TargetLabels = 'provider' | 'model';
type Cell<L extends string> = SeriesCell<L>;

/** A target's cells of the per-attempt counters, each taken when first added to (an untouched series is not shown). */
interface TargetCells {
  readonly attempts: Partial<Record<StatusClass, Cell<TargetLabels | 'status_class'>>>;
  inputTokens?: Cell<TargetLabels | 'direction'>;
  outputTokens?: Cell<TargetLabels | 'direction'>;
  cost?: Cell<TargetLabels>;
}

/** The Prometheus side of every attempt's outcome: in-flight, attempts by status class, TTFT, 429s, tokens, cost. */
export class MetricsObserver implements OutcomeObserver {
  readonly #metrics: SidecarMetrics;
  /** Label values are the target's own (provider, logical model): its cells are found without building labels. */
  readonly #cells = new WeakMap<Target, TargetCells>();

  constructor(metrics: SidecarMetrics) {
    this.#metrics = metrics;
  }

  #cellsOf(target: Target): TargetCells {
    let cells = this.#cells.get(target);
    if (!cells) {
      cells = { attempts: {} };
      this.#cells.set(target, cells);
    }
    return cells;
  }

  attemptStarted(target: Target): void {
    this.#metrics.inFlight.inc({ provider: target.provider.name });
  }

  attemptEnded(target: Target, outcome: AttemptOutcome): void {
    const m = this.#metrics;
    const provider = target.provider.name;
    const model = target.logicalModel;
    const cells = this.#cellsOf(target);
    m.inFlight.dec({ provider });
    const status = statusClass(outcome.status);
    m.attempts.add((cells.attempts[status] ??= m.attempts.cell({ provider, model, status_class: status })));
    if (outcome.ttftMs !== undefined) m.timeToFirstToken.observe({ provider, model }, outcome.ttftMs / 1000);
    if (outcome.rateLimited) m.rateLimited.inc({ provider });
    const usage = outcome.usage;
    if (!usage) return;
    m.tokens.add(
      (cells.inputTokens ??= m.tokens.cell({ provider, model, direction: 'input' })),
      usage.inputTokens,
    );
    m.tokens.add(
      (cells.outputTokens ??= m.tokens.cell({ provider, model, direction: 'output' })),
      usage.outputTokens,
    );
    if (target.price)
      m.cost.add(
        (cells.cost ??= m.cost.cell({ provider, model })),
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
