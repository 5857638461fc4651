import { describe, expect, it } from '@jest/globals';
import { testRuntime } from '../routing/test-runtime.ts';
import type { Target } from '../routing/target.ts';
import { acquireTargetPermit } from '../routing/target-permit.ts';
import { AttemptLease } from './attempt-lease.ts';
import { observeAll, type AttemptOutcome, type OutcomeObserver } from './outcome-observer.ts';

const NOW = 1_000_000;

function target(): Target {
  const runtime = testRuntime({ breaker: { consecutiveFailures: 1 }, providers: [{ name: 'p' }] }, NOW);
  const t = runtime.models.get('chat')?.[0];
  if (!t) throw new Error('no target');
  return t;
}

/** An observer that writes down what it was told. */
function recorder(): OutcomeObserver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    attemptStarted: (t) => calls.push(`started ${t.key}`),
    attemptEnded: (t, o) => calls.push(`ended ${t.key} ${o.verdict} ${String(o.status)}`),
  };
}

const outcome = (over: Partial<AttemptOutcome>): AttemptOutcome => ({
  verdict: 'success',
  status: 200,
  latencyMs: 10,
  ttftMs: undefined,
  usage: undefined,
  scope: 'target',
  rateLimited: false,
  credentialsRefused: false,
  ...over,
});

describe('the lease of one upstream attempt', () => {
  it('records an outcome once, in every place, however often it is ended', () => {
    const t = target();
    const permit = acquireTargetPermit(t, NOW);
    if (!permit) throw new Error('no permit');
    const seen = recorder();
    const lease = new AttemptLease(t, permit, seen, NOW);
    expect([t.provider.inFlight, t.stats.inFlight]).toEqual([1, 1]);
    lease.end(outcome({ verdict: 'failure', status: 500 }), NOW + 5);
    lease.end(outcome({ verdict: 'failure', status: 500 }), NOW + 6);
    expect([t.provider.inFlight, t.stats.inFlight]).toEqual([0, 0]);
    expect(seen.calls).toEqual(['started p/chat', 'ended p/chat failure 500']);
    // One failure opens a breaker (consecutiveFailures: 1): the model's, as a 500 is the model's fault.
    expect(t.health.breaker.state(NOW + 6)).toBe('open');
    expect(t.provider.breaker.state(NOW + 6)).toBe('closed');
  });

  it.each([
    {
      name: 'a failure scoped to the provider opens the provider’s breaker only',
      scope: 'provider' as const,
      provider: 'open',
      model: 'closed',
    },
    {
      name: 'a failure scoped to the target opens the model’s breaker only',
      scope: 'target' as const,
      provider: 'closed',
      model: 'open',
    },
  ])('$name', ({ scope, provider, model }) => {
    const t = target();
    const permit = acquireTargetPermit(t, NOW);
    if (!permit) throw new Error('no permit');
    new AttemptLease(t, permit, recorder(), NOW).end(outcome({ verdict: 'failure', scope }), NOW + 1);
    expect([t.provider.breaker.state(NOW + 1), t.health.breaker.state(NOW + 1)]).toEqual([provider, model]);
  });

  it('marks a provider that refused the credentials hard-down, and a success clears the mark', () => {
    const t = target();
    const seen = recorder();
    const take = () => acquireTargetPermit(t, NOW) ?? { probe: false, release: () => {} };
    new AttemptLease(t, take(), seen, NOW).end(
      outcome({ verdict: 'neutral', credentialsRefused: true }),
      NOW,
    );
    expect(t.provider.credentialsRefused).toBe(true);
    new AttemptLease(t, take(), seen, NOW).end(outcome({ verdict: 'success' }), NOW);
    expect(t.provider.credentialsRefused).toBe(false);
  });

  it('tells every observer, in order, through one', () => {
    const t = target();
    const [a, b] = [recorder(), recorder()];
    const lease = new AttemptLease(t, { probe: false, release: () => {} }, observeAll([a, b]), NOW);
    lease.end(outcome({}), NOW);
    expect(a.calls).toEqual(['started p/chat', 'ended p/chat success 200']);
    expect(b.calls).toEqual(a.calls);
  });
});
