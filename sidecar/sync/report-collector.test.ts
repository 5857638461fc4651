import { describe, expect, it } from '@jest/globals';
import { histogramCount } from '../../core/latency-histogram.ts';
import { ReportCollector, targetNowKey, type TargetNow } from './report-collector.ts';

const targets = (entries: [string, string, TargetNow][]) =>
  new Map(
    entries.map(([provider, model, now]) => [targetNowKey(provider, model), { provider, model, ...now }]),
  );

describe('a sidecar’s report to the operator', () => {
  it('counts attempts by outcome, histograms successful latencies and adds tokens and cost', () => {
    const c = new ReportCollector('pod-1', 1_000.7);
    c.recordDemand('a', 'chat', 120);
    c.recordAttempt({
      provider: 'a',
      model: 'chat',
      verdict: 'success',
      latencyMs: 80,
      timeToFirstTokenMs: 30,
      inputTokens: 100,
      outputTokens: 20,
      costUSD: 0.001,
    });
    c.recordAttempt({ provider: 'a', model: 'chat', verdict: 'failure', latencyMs: 5 });
    c.recordAttempt({ provider: 'a', model: 'chat', verdict: 'rate-limited' });
    c.recordAttempt({ provider: 'a', model: 'chat', verdict: 'neutral' });
    const report = c.take(6_000.2, 'v1', targets([['a', 'chat', { inFlight: 2, breaker: 'closed' }]]));
    expect(report).toMatchObject({
      sidecar: 'pod-1',
      configVersion: 'v1',
      windowStart: 1_000,
      windowEnd: 6_000,
    });
    const [t] = report.targets;
    expect(t).toMatchObject({
      attempts: 3,
      successes: 1,
      failures: 1,
      rateLimited: 1,
      inFlight: 2,
      inputTokens: 100,
      outputTokens: 20,
      costUSD: 0.001,
      demandRequests: 1,
      demandTokens: 120,
    });
    expect(histogramCount(t?.latency ?? [])).toBe(1);
    expect(histogramCount(t?.timeToFirstToken ?? [])).toBe(1);
  });

  it('reports idle targets with their breaker phase, and starts a fresh window after each report', () => {
    const c = new ReportCollector('pod-1', 0);
    c.recordAttempt({ provider: 'a', model: 'chat', verdict: 'success', latencyMs: 10 });
    c.recordCooldown({ provider: 'a', until: 9_000, reason: 'RateLimited' });
    const first = c.take(5_000, 'v1', targets([['b', 'chat', { inFlight: 0, breaker: 'open' }]]));
    expect(first.targets.map((t) => [t.provider, t.attempts, t.breaker])).toEqual([
      ['a', 1, 'closed'],
      ['b', 0, 'open'],
    ]);
    expect(first.cooldowns).toHaveLength(1);
    const second = c.take(10_000, 'v1', targets([]));
    expect(second).toMatchObject({ windowStart: 5_000, windowEnd: 10_000, targets: [], cooldowns: [] });
  });
});
