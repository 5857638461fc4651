/**
 * Sends this sidecar's report to the operator every `intervalMs`, and within `urgentDelayMs` when the sidecar
 * starts a cool-down (a 429), a target turns well slower than its usual, or one the fleet holds slow answers at its
 * usual speed again (slowdown-signal.ts, looked for every `slowdownWatchMs`), so the operator can spread it to the pool at once. A failed post is not retried:
 * the next report covers a fresh window, and the operator reads rates over several windows anyway.
 */
import type { Recovery, Report } from '../../api/sync/sync-protocol.ts';
import type { BreakerPhase } from '../breaker/circuit-breaker.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { PoolRuntime } from '../routing/pool-runtime.ts';
import { ReportCollector, targetNowKey, type TargetNow } from './report-collector.ts';
import { SLOWDOWN_SIGNAL, SlowdownWatch, slowdownsSeen, takeRecoveries } from './slowdown-signal.ts';

export interface FleetReporterOptions {
  readonly collector: ReportCollector;
  readonly post: (report: Report) => Promise<void>;
  readonly runtime: () => PoolRuntime | undefined;
  readonly version: () => string | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly urgentDelayMs?: number;
  readonly slowdownWatchMs?: number;
}

type TargetFacts = TargetNow & { readonly provider: string; readonly model: string };

/** Every target of the running pool with its moment's facts (in flight, breaker phase), for a report. */
export function targetFacts(runtime: PoolRuntime | undefined, now: number): Map<string, TargetFacts> {
  const facts = new Map<string, TargetFacts>();
  for (const [model, targets] of runtime?.models ?? []) {
    for (const t of targets) {
      facts.set(targetNowKey(t.provider.name, model), {
        provider: t.provider.name,
        model,
        inFlight: t.stats.inFlight,
        // The provider's phase when it blocks (or probes) every model; else this model's own.
        breaker: providerPhase(t.provider.breaker.state(now), t.health.breaker.state(now)),
      });
    }
  }
  return facts;
}

export class FleetReporter {
  readonly #o: FleetReporterOptions;
  #timer: NodeJS.Timeout | undefined;
  #urgent: NodeJS.Timeout | undefined;
  #watch: NodeJS.Timeout | undefined;
  readonly #slowdownWatch = new SlowdownWatch();
  /** Recoveries seen since the last report (sent with the next one, which goes out at once). */
  #recoveries: Recovery[] = [];
  #sending: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: FleetReporterOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.#send(), this.#o.intervalMs ?? 5_000);
    this.#timer.unref();
    this.#watch = setInterval(() => {
      const now = this.#o.clock.now();
      const recovered = takeRecoveries(this.#o.runtime(), now);
      this.#recoveries.push(...recovered);
      const seen = slowdownsSeen(this.#o.runtime(), now);
      if (this.#slowdownWatch.crossed(seen) || recovered.length > 0) this.#sendSoon();
    }, this.#o.slowdownWatchMs ?? SLOWDOWN_SIGNAL.watchMs);
    this.#watch.unref();
  }

  /**
   * A cool-down this sidecar started, of the provider or (`model` set) of one logical model at it: report it within
   * `urgentDelayMs` (coalescing a burst of them), so the fleet cools the same provider or (provider, model).
   */
  coolDownStarted(provider: string, until: number, model?: string): void {
    this.#o.collector.recordCooldown({
      provider,
      ...(model !== undefined && { model }),
      until: Math.ceil(until),
      reason: 'RateLimited',
    });
    this.#sendSoon();
  }

  /** Sends within `urgentDelayMs`, coalescing a burst of urgent news into one report. */
  #sendSoon(): void {
    if (this.#urgent !== undefined || this.#stopped) return;
    this.#urgent = setTimeout(() => {
      this.#urgent = undefined;
      this.#send();
    }, this.#o.urgentDelayMs ?? 20);
    this.#urgent.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#watch);
    clearTimeout(this.#urgent);
    await this.#sending;
  }

  #send(): void {
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    const runtime = this.#o.runtime();
    const report: Report = {
      ...this.#o.collector.take(now, this.#o.version(), targetFacts(runtime, now)),
      slowdowns: slowdownsSeen(runtime, now),
      ...(this.#recoveries.length > 0 && { recoveries: this.#recoveries }),
    };
    this.#recoveries = [];
    this.#sending = this.#sending.then(() =>
      this.#o.post(report).catch((err: unknown) =>
        this.#o.logger.debug('report not delivered', {
          error: err instanceof Error ? err.message : String(err),
        }),
      ),
    );
  }
}

function providerPhase(provider: BreakerPhase, model: BreakerPhase): BreakerPhase {
  return provider === 'closed' ? model : provider;
}
