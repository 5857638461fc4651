import type { BreakerPermit, BreakerVerdict } from '../breaker/circuit-breaker.ts';
import type { FaultScope } from '../proxy/judge-outcome.ts';
import type { Target } from './target.ts';

/**
 * Leave to send one request to a target: a permit of the provider's breaker and one of the target's own. The
 * outcome goes to both, and a failure only to the breaker of the scope it lives in (judge-outcome.ts); the other
 * learns nothing (neutral) from it. A success is a success for both.
 */
export interface TargetPermit {
  /** True when the request is a half-open probe of either breaker. */
  readonly probe: boolean;
  /** Only the first call counts. */
  release(verdict: BreakerVerdict, scope: FaultScope, now: number): void;
}

/** Both permits for `t` at `now`, or undefined when either breaker refuses (the other's is handed back unused). */
export function acquireTargetPermit(t: Target, now: number): TargetPermit | undefined {
  const provider = t.provider.breaker.tryAcquire(now);
  if (!provider) return undefined;
  const target = t.health.breaker.tryAcquire(now);
  if (!target) {
    provider.release('neutral', now);
    return undefined;
  }
  return combined(provider, target);
}

function combined(provider: BreakerPermit, target: BreakerPermit): TargetPermit {
  return {
    probe: provider.probe || target.probe,
    release: (verdict, scope, now) => {
      const of = (mine: FaultScope): BreakerVerdict =>
        verdict === 'failure' && scope !== mine ? 'neutral' : verdict;
      provider.release(of('provider'), now);
      target.release(of('target'), now);
    },
  };
}

/** Panic routing sends without the breakers' leave: the outcome is not theirs to count. */
export const PANIC_PERMIT: TargetPermit = { probe: false, release: () => {} };
