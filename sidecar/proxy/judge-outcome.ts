/**
 * The pure judgement of one upstream attempt: from what happened (an HTTP answer, an error inside a stream, a cut
 * stream, a transport failure, the client leaving) to what it means for routing: the breaker's verdict, whether
 * another target may serve the request, whether to cool down, whose fault it was, whether the provider refused the
 * pool's credentials, and where the fault lives (scope). No I/O, no clock: the attempt gathers the facts, the lease
 * records the verdict, and this table decides (judge-outcome.test.ts).
 *
 * Scope: 'provider' faults (credentials refused, the provider's account quota used up, no connection or a reset
 * before an answer) sideline every model of the provider; 'target' faults (a 429 rate limit, a 5xx, a 404 model
 * not found, a slow or cut answer) sideline only that (provider, model): the provider's other models keep serving.
 */
import type { BreakerVerdict } from '../breaker/circuit-breaker.ts';
import type { Blame } from '../core/errors.ts';
import { classifyOutcome, type TransportErrorKind } from '../retry/retryable.ts';

/** Where a fault lives: the whole provider, or one (provider, model) target. */
export type FaultScope = 'provider' | 'target';

/** What the provider's error said beyond its status, as its adapter read it (UpstreamErrorInfo). */
export interface ErrorDetail {
  /** The account's quota or credit is used up (OpenAI `insufficient_quota`). */
  readonly quotaExhausted?: boolean;
  /** That used-up quota is one model's alone (Gemini's per-model daily quota): only the target cools. */
  readonly quotaOfModelOnly?: boolean;
  /** The prompt plus output does not fit the model's context window. */
  readonly contextLengthExceeded?: boolean;
}

export type AttemptFacts =
  /** The provider answered with this HTTP status (as it meant it: see UpstreamErrorInfo.status). */
  | ({ readonly kind: 'answer'; readonly status: number } & ErrorDetail)
  /** An error the provider reported inside a 200 stream, standing for `status`; its dialect says if retryable. */
  | ({ readonly kind: 'stream-error'; readonly status: number; readonly retryable: boolean } & ErrorDetail)
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
  /** A rate limit or used-up quota: cool down (the provider or the target, by `scope`). */
  readonly coolDown: boolean;
  /** Whose fault a failure is; undefined for a success. */
  readonly blame: Blame | undefined;
  /** The provider refused the pool's credentials (401/403): it is hard-down until it succeeds again. */
  readonly credentialsRefused: boolean;
  /** Which breaker a failure counts against and what a cool-down sidelines. */
  readonly scope: FaultScope;
  /**
   * The request is too long for this target's context window: the request's fault, not the provider's, but a
   * target with a larger window (or a fallback model) may serve it.
   */
  readonly contextTooLong: boolean;
}

const CREDENTIAL_FAULTS: ReadonlySet<number> = new Set([401, 403]);

const BASE = { credentialsRefused: false, contextTooLong: false, coolDown: false } as const;

function byStatus(status: number, detail: ErrorDetail, retryable?: boolean): Judgement {
  if (detail.contextLengthExceeded === true) {
    // Never counted against the provider (it answered properly); only a larger window can help.
    return {
      ...BASE,
      verdict: 'success',
      retryable: true,
      blame: 'request',
      scope: 'target',
      contextTooLong: true,
    };
  }
  const c = classifyOutcome({ status });
  const ok = status >= 200 && status < 300;
  const credentialsRefused = CREDENTIAL_FAULTS.has(status);
  const quotaExhausted = detail.quotaExhausted === true;
  const accountQuotaExhausted = quotaExhausted && detail.quotaOfModelOnly !== true;
  return {
    ...BASE,
    verdict: c.breaker,
    retryable: retryable ?? (c.retryable || quotaExhausted),
    coolDown: c.coolDown || quotaExhausted,
    // A 4xx that would fail everywhere (classifyOutcome: not retryable, provider answered properly) is the request's.
    blame: ok
      ? undefined
      : !c.retryable && c.breaker === 'success' && !quotaExhausted
        ? 'request'
        : 'provider',
    credentialsRefused,
    // The key and the account's quota belong to the provider; a rate limit, a model's own quota, its 5xx or a
    // missing model to the target.
    scope: credentialsRefused || accountQuotaExhausted ? 'provider' : 'target',
  };
}

/** A failure of the answer itself (cut, malformed): the model's server, not the way to the provider. */
const TARGET_FAILURE: Judgement = {
  ...BASE,
  verdict: 'failure',
  retryable: true,
  blame: 'provider',
  scope: 'target',
};

/**
 * No answer at all: a refused or failed connection (TLS included) or a reset before the answer is the way to the
 * provider; a deadline passed after the request went out (no headers or no first token in time) is the model's.
 */
function transport(error: Exclude<TransportErrorKind, 'aborted-by-client'>): Judgement {
  return { ...TARGET_FAILURE, scope: error === 'timeout' ? 'target' : 'provider' };
}

const NOBODYS = { ...BASE, verdict: 'neutral', retryable: false, scope: 'target' } as const;

export function judgeOutcome(facts: AttemptFacts): Judgement {
  switch (facts.kind) {
    case 'answer':
      return byStatus(facts.status, facts);
    case 'stream-error':
      return byStatus(facts.status, facts, facts.retryable || facts.quotaExhausted === true);
    case 'stream-cut':
    case 'bad-answer':
      return TARGET_FAILURE;
    case 'transport':
      return transport(facts.error);
    case 'client-gone':
      return { ...NOBODYS, blame: 'request' };
    case 'not-provider':
      return { ...NOBODYS, blame: facts.blame };
  }
}
