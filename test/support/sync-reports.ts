/** Sync-channel reports as sidecars send them, for tests of the operator's fleet view and decisions. */
import type { TargetReport } from '../../api/sync/sync-protocol.ts';
import { LatencyRecorder } from '../../core/latency-histogram.ts';

/** The wire histogram of these latencies (ms). */
export function histogramOf(...ms: number[]): number[] {
  const r = new LatencyRecorder();
  for (const x of ms) r.record(x);
  return [...r.take()];
}

/** One provider's part of a report: nothing happened, unless `fields` says otherwise. */
export function targetReport(provider: string, fields: Partial<TargetReport> = {}): TargetReport {
  return {
    provider,
    model: 'chat',
    attempts: 0,
    successes: 0,
    failures: 0,
    rateLimited: 0,
    latency: [],
    timeToFirstToken: [],
    inputTokens: 0,
    outputTokens: 0,
    costUSD: 0,
    inFlight: 0,
    breaker: 'closed',
    demandRequests: 0,
    demandTokens: 0,
    ...fields,
  };
}
