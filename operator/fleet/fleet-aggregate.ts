/**
 * What the whole fleet of a pool saw, merged from every sidecar's recent reports (pure). Counts add up;
 * latency percentiles come from merged histograms; in-flight and breaker phases take each sidecar's latest
 * report. The result feeds reweighting (provider windows), quota splitting (demand per sidecar) and status.
 */
import { targetKey, type Report } from '../../api/sync/sync-protocol.ts';
import { mergeHistograms, type HistogramCounts } from '../../core/latency-histogram.ts';

/** One sidecar as the operator knows it. */
export interface SidecarRecord {
  readonly id: string;
  /** Its sync stream is open now. */
  readonly connected: boolean;
  /** The configuration version it last acknowledged. */
  readonly appliedVersion: string | undefined;
  /** Its last refusal of a version, if that is the version it was last offered. */
  readonly nack: { readonly version: string; readonly reason: string } | undefined;
  /** Its reports, oldest first; the aggregate reads those that ended within the window. */
  readonly reports: readonly Report[];
}

export interface ProviderAggregate {
  readonly provider: string;
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  /** Failures whose time was reported (newer sidecars), and the time they took in all (ms). */
  readonly timedFailures: number;
  readonly failureMs: number;
  readonly rateLimited: number;
  readonly latency: HistogramCounts;
  readonly timeToFirstToken: HistogramCounts;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUSD: number;
  readonly inFlight: number;
  /** Sidecars whose latest report covers this provider, and how many of them have its breaker open. */
  readonly sidecarsReporting: number;
  readonly breakersOpen: number;
  /** Requests and tokens per minute each sidecar wanted to send to this provider. */
  readonly demand: ReadonlyMap<
    string,
    { readonly requestsPerMinute: number; readonly tokensPerMinute: number }
  >;
  /** The same per logical model of the provider (per-model limits are split by it). */
  readonly modelDemand: ReadonlyMap<string, ReadonlyMap<string, Demand>>;
}

export interface FleetAggregate {
  readonly sidecars: {
    readonly connected: number;
    readonly reporting: number;
    readonly onCurrentVersion: number;
  };
  /** Sidecars that refused the current version, with their reasons. */
  readonly nacks: readonly { readonly sidecar: string; readonly reason: string }[];
  /** The time the merged reports span, in seconds (for rates); 0 with no reports. */
  readonly seconds: number;
  readonly providers: ReadonlyMap<string, ProviderAggregate>;
}

interface Accumulator {
  attempts: number;
  successes: number;
  failures: number;
  timedFailures: number;
  failureMs: number;
  rateLimited: number;
  latency: HistogramCounts[];
  timeToFirstToken: HistogramCounts[];
  inputTokens: number;
  outputTokens: number;
  costUSD: number;
  inFlight: number;
  sidecarsReporting: number;
  breakersOpen: number;
  demand: Map<string, { requestsPerMinute: number; tokensPerMinute: number }>;
  modelDemand: Map<string, Map<string, Demand>>;
}

/** A sidecar's demand per minute. */
export interface Demand {
  readonly requestsPerMinute: number;
  readonly tokensPerMinute: number;
}

const emptyAccumulator = (): Accumulator => ({
  attempts: 0,
  successes: 0,
  failures: 0,
  timedFailures: 0,
  failureMs: 0,
  rateLimited: 0,
  latency: [],
  timeToFirstToken: [],
  inputTokens: 0,
  outputTokens: 0,
  costUSD: 0,
  inFlight: 0,
  sidecarsReporting: 0,
  breakersOpen: 0,
  demand: new Map(),
  modelDemand: new Map(),
});

/**
 * @param recoveredAt when the fleet saw each (provider, model) recover from a slowdown, by `targetKey` (operator/
 *   slowdown/slowdown-probes.ts): what a report that ended before then measured of that target (its attempts,
 *   failures and latencies) is the slow spell, so it is left out; its demand and tokens still count.
 */
export function aggregateFleet(
  sidecars: Iterable<SidecarRecord>,
  currentVersion: string | undefined,
  now: number,
  windowMs: number,
  recoveredAt: ReadonlyMap<string, number> = new Map(),
): FleetAggregate {
  const since = now - windowMs;
  const byProvider = new Map<string, Accumulator>();
  const acc = (provider: string): Accumulator => {
    let a = byProvider.get(provider);
    if (a === undefined) byProvider.set(provider, (a = emptyAccumulator()));
    return a;
  };
  let connected = 0;
  let reporting = 0;
  let onCurrentVersion = 0;
  let earliest = now;
  const nacks: { sidecar: string; reason: string }[] = [];

  for (const s of sidecars) {
    if (s.connected) connected++;
    if (s.connected && currentVersion !== undefined && s.appliedVersion === currentVersion)
      onCurrentVersion++;
    if (s.nack !== undefined && s.nack.version === currentVersion)
      nacks.push({ sidecar: s.id, reason: s.nack.reason });
    const recent = s.reports.filter((r) => r.windowEnd > since);
    if (recent.length === 0) continue;
    reporting++;
    // The time this sidecar's recent reports cover, for its demand per minute (at least a second).
    const start = Math.max(since, Math.min(...recent.map((r) => r.windowStart)));
    const spanMinutes = Math.max(1_000, now - start) / 60_000;
    earliest = Math.min(earliest, start);
    const demanded = new Map<string, { requests: number; tokens: number }>();
    for (const report of recent) {
      for (const t of report.targets) {
        const a = acc(t.provider);
        const recovered = recoveredAt.get(targetKey(t.provider, t.model));
        if (recovered === undefined || report.windowEnd > recovered) {
          a.attempts += t.attempts;
          a.successes += t.successes;
          a.failures += t.failures;
          if (t.failureMs !== undefined) {
            a.timedFailures += t.failures;
            a.failureMs += t.failureMs;
          }
          a.rateLimited += t.rateLimited;
          a.latency.push(t.latency);
          a.timeToFirstToken.push(t.timeToFirstToken);
        }
        a.inputTokens += t.inputTokens;
        a.outputTokens += t.outputTokens;
        a.costUSD += t.costUSD;
        const d = demanded.get(t.provider) ?? { requests: 0, tokens: 0 };
        demanded.set(t.provider, {
          requests: d.requests + t.demandRequests,
          tokens: d.tokens + t.demandTokens,
        });
        const byModel = a.modelDemand.get(t.model) ?? new Map<string, Demand>();
        a.modelDemand.set(t.model, byModel);
        const m = byModel.get(s.id) ?? { requestsPerMinute: 0, tokensPerMinute: 0 };
        byModel.set(s.id, {
          requestsPerMinute: m.requestsPerMinute + t.demandRequests / spanMinutes,
          tokensPerMinute: m.tokensPerMinute + t.demandTokens / spanMinutes,
        });
      }
    }
    for (const [provider, d] of demanded)
      acc(provider).demand.set(s.id, {
        requestsPerMinute: d.requests / spanMinutes,
        tokensPerMinute: d.tokens / spanMinutes,
      });
    // Point-in-time facts come from the latest report only, once per provider (a provider has several models).
    const latest = recent[recent.length - 1];
    const phases = new Map<string, { inFlight: number; open: boolean }>();
    for (const t of latest?.targets ?? []) {
      const p = phases.get(t.provider) ?? { inFlight: 0, open: true };
      phases.set(t.provider, { inFlight: p.inFlight + t.inFlight, open: p.open && t.breaker === 'open' });
    }
    for (const [provider, p] of phases) {
      const a = acc(provider);
      a.inFlight += p.inFlight;
      a.sidecarsReporting++;
      if (p.open) a.breakersOpen++;
    }
  }

  const providers = new Map<string, ProviderAggregate>();
  for (const [provider, a] of byProvider) {
    providers.set(provider, {
      ...a,
      provider,
      latency: mergeHistograms(a.latency),
      timeToFirstToken: mergeHistograms(a.timeToFirstToken),
    });
  }
  return {
    sidecars: { connected, reporting, onCurrentVersion },
    nacks,
    seconds: reporting === 0 ? 0 : Math.max(1, (now - earliest) / 1000),
    providers,
  };
}
