/**
 * The pure judgement of one upstream attempt: from what happened (an HTTP answer, an error inside a stream, a cut
 * stream, a transport failure, the client leaving) to what it means for routing: the breaker's verdict, whether
 * another target may serve the request, whether the provider cools down, whose fault it was, and whether the
 * provider refused the pool's credentials. No I/O, no clock: the attempt gathers the facts, the lease records the
 * verdict, and this table decides (judge-outcome.test.ts).
 */
import type { BreakerVerdict } from '../breaker/circuit-breaker.ts';
import type { Blame } from '../core/errors.ts';
import { classifyOutcome, type TransportErrorKind } from '../retry/retryable.ts';

export type AttemptFacts =
  /** The provider answered with this HTTP status (as it meant it: see UpstreamErrorInfo.status). */
  | { readonly kind: 'answer'; readonly status: number }
  /** An error the provider reported inside a 200 stream, standing for `status`; its dialect says if retryable. */
  | { readonly kind: 'stream-error'; readonly status: number; readonly retryable: boolean }
  /** The body ended before the answer was complete. */
  | { readonly kind: 'stream-cut' }
  /** The answer is not the dialect's shape (a body that is not JSON, a malformed event). */
  | { readonly kind: 'bad-answer' }
  /** No (whole) answer: the connection failed or a deadline passed. */
  | { readonly kind: 'transport'; readonly error: Exclude<TransportErrorKind, 'aborted-by-client'> }
  /** The app went away: says nothing about the provider. */
  | { readonly kind: 'client-gone' }
  /** The request's or the sidecar's own fault, found during the attempt: never the provider's. */
  | { readonly kind: 'not-provider'; readonly blame: Exclude<Blame, 'provider'> };

export interface Judgement {
  /** How the breaker permit is released and the target's error rate learns. */
  readonly verdict: BreakerVerdict;
  /** Another target may well serve the request (if nothing reached the client yet). */
  readonly retryable: boolean;
  /** A rate limit: cool the provider down. */
  readonly coolDown: boolean;
  /** Whose fault a failure is; undefined for a success. */
  readonly blame: Blame | undefined;
  /** The provider refused the pool's credentials (401/403): it is hard-down until it succeeds again. */
  readonly credentialsRefused: boolean;
}

const CREDENTIAL_FAULTS: ReadonlySet<number> = new Set([401, 403]);

function byStatus(status: number, retryable?: boolean): Judgement {
  const c = classifyOutcome({ status });
  const ok = status >= 200 && status < 300;
  return {
    verdict: c.breaker,
    retryable: retryable ?? c.retryable,
    coolDown: c.coolDown,
    // A 4xx that would fail everywhere (classifyOutcome: not retryable, provider answered properly) is the request's.
    blame: ok ? undefined : !c.retryable && c.breaker === 'success' ? 'request' : 'provider',
    credentialsRefused: CREDENTIAL_FAULTS.has(status),
  };
}

const PROVIDER_FAILURE: Judgement = {
  verdict: 'failure',
  retryable: true,
  coolDown: false,
  blame: 'provider',
  credentialsRefused: false,
};

export function judgeOutcome(facts: AttemptFacts): Judgement {
  switch (facts.kind) {
    case 'answer':
      return byStatus(facts.status);
    case 'stream-error':
      return byStatus(facts.status, facts.retryable);
    case 'stream-cut':
    case 'bad-answer':
    case 'transport':
      return PROVIDER_FAILURE;
    case 'client-gone':
      return {
        verdict: 'neutral',
        retryable: false,
        coolDown: false,
        blame: 'request',
        credentialsRefused: false,
      };
    case 'not-provider':
      return {
        verdict: 'neutral',
        retryable: false,
        coolDown: false,
        blame: facts.blame,
        credentialsRefused: false,
      };
  }
}
