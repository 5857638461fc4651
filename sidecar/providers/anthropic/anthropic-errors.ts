/** Anthropic error bodies, `{"type":"error","error":{"type","message"},"request_id"}`, read for passing on. */
import type { UpstreamErrorInfo } from '../adapter.ts';
import { isRecord, parseJson, stringOf } from '../../../core/json.ts';

/** A used-up credit balance is answered 400 (invalid_request_error) with this text, or 402 billing_error. */
const CREDIT_EXHAUSTED = /credit balance is too low/i;

/**
 * A request longer than the model's window, answered 400 invalid_request_error: "prompt is too long: 210000 tokens >
 * 200000 maximum", or "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000".
 */
const CONTEXT_TOO_LONG = /prompt is too long|exceed context limit/i;

export function isAnthropicContextLengthError(type: string | null, message: string): boolean {
  return (type === null || type === 'invalid_request_error') && CONTEXT_TOO_LONG.test(message);
}

/**
 * Statuses that stand for an error better than Anthropic's own, for routing and for OpenAI clients:
 * - a used-up credit balance is not the request's fault (Anthropic says 400): it is what OpenAI calls
 *   `insufficient_quota`, a 429, so another provider is tried and this one cooled down for long;
 * - overload (529, Anthropic's own code) is 503 Service Unavailable to everyone else.
 */
const QUOTA_EXHAUSTED_STATUS = 429;
const OVERLOADED_STATUS = 503;

export function parseAnthropicError(status: number, bodyText: string): UpstreamErrorInfo {
  const parsed = parseJson(bodyText); // undefined for e.g. an HTML page from the CDN in front of the API
  const error = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
  const message = stringOf(error?.message) ?? `upstream answered HTTP ${status}`;
  const code = stringOf(error?.type) ?? null;
  if (code === 'billing_error' || CREDIT_EXHAUSTED.test(message)) {
    return { message, code, quotaExhausted: true, status: QUOTA_EXHAUSTED_STATUS };
  }
  if (code === 'overloaded_error' || status === 529) return { message, code, status: OVERLOADED_STATUS };
  if (isAnthropicContextLengthError(code, message)) return { message, code, contextLengthExceeded: true };
  return { message, code };
}
