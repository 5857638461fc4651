import { describe, expect, it } from '@jest/globals';
import type { AttemptOutcome } from '../proxy/outcome-observer.ts';
import type { Target } from '../routing/target.ts';
import { ReportCollector } from './report-collector.ts';
import { reportObserver } from './report-observer.ts';

const target = { provider: { name: 'a' }, logicalModel: 'chat', price: undefined } as unknown as Target;
const served: AttemptOutcome = {
  verdict: 'success',
  status: 200,
  latencyMs: 10,
  ttftMs: undefined,
  usage: { inputTokens: 30, outputTokens: 20 },
  scope: 'target',
  rateLimited: false,
  credentialsRefused: false,
};

describe('the demand a sidecar reports', () => {
  it('counts a request its quota share turned away, with its token estimate, and a served one with its tokens', () => {
    const collector = new ReportCollector('pod-1', 0);
    const observer = reportObserver(collector);
    observer.quotaRefused?.(target, 120);
    observer.attemptStarted(target);
    observer.attemptEnded(target, served, 10);
    const [t] = collector.take(5_000, 'v1', new Map()).targets;
    expect(t).toMatchObject({ provider: 'a', demandRequests: 2, demandTokens: 170, attempts: 1 });
  });
});

describe('the failures a sidecar reports', () => {
  it.each([
    { name: 'sums the time its failed attempts took', ends: [120, 30], failureMs: 150, failures: 2 },
    { name: 'reports no failure time when nothing failed', ends: [], failureMs: 0, failures: 0 },
  ])('$name', ({ ends, failureMs, failures }) => {
    const collector = new ReportCollector('pod-1', 0);
    const observer = reportObserver(collector);
    for (const elapsed of ends) {
      observer.attemptStarted(target);
      observer.attemptEnded(
        target,
        { ...served, verdict: 'failure', status: 500, latencyMs: undefined },
        elapsed,
      );
    }
    observer.attemptStarted(target);
    observer.attemptEnded(target, served, 10_000); // a success's time is its latency, not failure time
    const [t] = collector.take(5_000, 'v1', new Map()).targets;
    expect(t).toMatchObject({ failures, failureMs });
  });
});
