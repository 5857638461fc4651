/**
 * What this sidecar tells the operator every few seconds: per provider and logical model, the attempts and their
 * outcomes, latency and time-to-first-token histograms (mergeable across the fleet), tokens, cost and demand,
 * plus in-flight and breaker phase at the moment of the report. Counts are per window: `take` starts a new one.
 */
import { targetKey, type Cooldown, type Report, type TargetReport } from '../../api/sync/sync-protocol.ts';
import { LatencyRecorder } from '../../core/latency-histogram.ts';

export type AttemptVerdict = 'success' | 'failure' | 'rate-limited' | 'neutral';

export interface AttemptRecord {
  readonly provider: string;
  readonly model: string;
  readonly verdict: AttemptVerdict;
  /** From sending the attempt to its end, whatever the outcome. */
  readonly elapsedMs?: number;
  readonly latencyMs?: number;
  readonly timeToFirstTokenMs?: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly costUSD?: number;
}

/** The moment's facts about one target, read when the report is taken. */
export interface TargetNow {
  readonly inFlight: number;
  readonly breaker: TargetReport['breaker'];
}

class TargetWindow {
  attempts = 0;
  successes = 0;
  failures = 0;
  /** Time the failures took (ms). */
  failureMs = 0;
  rateLimited = 0;
  readonly latency = new LatencyRecorder();
  readonly timeToFirstToken = new LatencyRecorder();
  inputTokens = 0;
  outputTokens = 0;
  costUSD = 0;
  demandRequests = 0;
  demandTokens = 0;
}

const keyOf = targetKey;

export class ReportCollector {
  readonly #sidecar: string;
  #windows = new Map<string, TargetWindow>();
  #cooldowns: Cooldown[] = [];
  #windowStart: number;

  constructor(sidecar: string, now: number) {
    this.#sidecar = sidecar;
    this.#windowStart = Math.floor(now);
  }

  #window(provider: string, model: string): TargetWindow {
    const key = keyOf(provider, model);
    let w = this.#windows.get(key);
    if (w === undefined) this.#windows.set(key, (w = new TargetWindow()));
    return w;
  }

  /** A request wanted this target (whether or not a local quota let it through). */
  recordDemand(provider: string, model: string, estimatedTokens: number): void {
    const w = this.#window(provider, model);
    w.demandRequests++;
    w.demandTokens += Math.max(0, Math.round(estimatedTokens));
  }

  /** Tokens a request that went out turned out to use: its demand of tokens (its request was counted at its start). */
  recordDemandTokens(provider: string, model: string, tokens: number): void {
    this.#window(provider, model).demandTokens += Math.max(0, Math.round(tokens));
  }

  recordAttempt(a: AttemptRecord): void {
    if (a.verdict === 'neutral') return; // the client went away: says nothing about the provider
    const w = this.#window(a.provider, a.model);
    w.attempts++;
    if (a.verdict === 'success') {
      w.successes++;
      if (a.latencyMs !== undefined) w.latency.record(a.latencyMs);
      if (a.timeToFirstTokenMs !== undefined) w.timeToFirstToken.record(a.timeToFirstTokenMs);
    } else if (a.verdict === 'failure') {
      w.failures++;
      w.failureMs += Math.max(0, Math.round(a.elapsedMs ?? 0));
    } else {
      w.rateLimited++;
    }
    w.inputTokens += a.inputTokens ?? 0;
    w.outputTokens += a.outputTokens ?? 0;
    w.costUSD += a.costUSD ?? 0;
  }

  /** A cool-down this sidecar started, for the operator to spread to the pool. */
  recordCooldown(cooldown: Cooldown): void {
    this.#cooldowns.push(cooldown);
  }

  get hasCooldowns(): boolean {
    return this.#cooldowns.length > 0;
  }

  /**
   * The report of the window that ends now, and a new window. `targets` lists every target of the running pool
   * with its moment's facts, so idle targets are reported too (their breaker phase matters).
   */
  take(
    now: number,
    configVersion: string | undefined,
    targets: ReadonlyMap<string, TargetNow & { provider: string; model: string }>,
  ): Report {
    const reports: TargetReport[] = [];
    const keys = new Set([...this.#windows.keys(), ...targets.keys()]);
    for (const key of keys) {
      const w = this.#windows.get(key) ?? new TargetWindow();
      const t = targets.get(key);
      const [provider = '', model = ''] = t === undefined ? key.split('\u0000') : [t.provider, t.model];
      reports.push({
        provider,
        model,
        attempts: w.attempts,
        successes: w.successes,
        failures: w.failures,
        failureMs: w.failureMs,
        rateLimited: w.rateLimited,
        latency: [...w.latency.take()],
        timeToFirstToken: [...w.timeToFirstToken.take()],
        inputTokens: w.inputTokens,
        outputTokens: w.outputTokens,
        costUSD: w.costUSD,
        inFlight: t?.inFlight ?? 0,
        breaker: t?.breaker ?? 'closed',
        demandRequests: w.demandRequests,
        demandTokens: w.demandTokens,
      });
    }
    const end = Math.max(this.#windowStart, Math.floor(now));
    const report: Report = {
      sidecar: this.#sidecar,
      ...(configVersion === undefined ? {} : { configVersion }),
      windowStart: this.#windowStart,
      windowEnd: end,
      targets: reports,
      cooldowns: this.#cooldowns,
    };
    this.#windows = new Map();
    this.#cooldowns = [];
    this.#windowStart = end;
    return report;
  }
}

export const targetNowKey = keyOf;
