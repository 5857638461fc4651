/**
 * What an upstream outcome means for routing: may the request be tried on another target, what does it say
 * to the target's breaker, and should the target cool down. Pure; the request path applies it, and retries only
 * while no byte has reached the client.
 */
import type { BreakerVerdict } from '../breaker/circuit-breaker.ts';

/** Why no HTTP answer arrived. 'aborted-by-client': the app went away, which says nothing about the provider. */
export type TransportErrorKind = 'connect' | 'timeout' | 'reset' | 'aborted-by-client';

export type UpstreamOutcome = { readonly status: number } | { readonly transportError: TransportErrorKind };

export interface OutcomeClass {
  /** Another target may well succeed: the request itself is not at fault. */
  readonly retryable: boolean;
  /** How the breaker's permit is released. */
  readonly breaker: BreakerVerdict;
  /** A 429: cool the target down (for Retry-After, or the pool's default). */
  readonly coolDown: boolean;
}

const verdict = (retryable: boolean, breaker: BreakerVerdict, coolDown = false): OutcomeClass => ({
  retryable,
  breaker,
  coolDown,
});

export function classifyOutcome(outcome: UpstreamOutcome): OutcomeClass {
  if ('transportError' in outcome) {
    return outcome.transportError === 'aborted-by-client'
      ? verdict(false, 'neutral')
      : verdict(true, 'failure');
  }
  const { status } = outcome;
  if (status >= 200 && status < 300) return verdict(false, 'success');
  if (status === 429) return verdict(true, 'neutral', true);
  // Request Timeout: the provider did not take the request in time, like a transport timeout.
  if (status === 408) return verdict(true, 'failure');
  // Conflict: OpenAI's transient lock timeout (its SDK retries it); another provider holds no such lock.
  if (status === 409) return verdict(true, 'neutral');
  // The sidecar supplies key, URL and model per target, so these say the target is misconfigured (a revoked key,
  // a model this provider lacks), not that the request is bad: another target may serve it.
  if (status === 401 || status === 403 || status === 404) return verdict(true, 'failure');
  // Any other 4xx: the request is at fault and would fail everywhere; the provider answered properly.
  if (status >= 400 && status < 500) return verdict(false, 'success');
  // 5xx, including Anthropic's 529 (overloaded) and CDN 52x codes: the provider is at fault, others may serve.
  if (status >= 500 && status < 600) return verdict(true, 'failure');
  // 1xx, 3xx or nonsense: the target is misconfigured or misbehaving (a redirecting base URL, say).
  return verdict(true, 'failure');
}
