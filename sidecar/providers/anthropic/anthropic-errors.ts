/** Anthropic error bodies, `{"type":"error","error":{"type","message"},"request_id"}`, read for passing on. */
import type { UpstreamErrorInfo } from '../adapter.ts';
import { isRecord, optionalString } from './untranslatable.ts';

/** A used-up credit balance is answered 400 (invalid_request_error) with this text, or 402 billing_error. */
const CREDIT_EXHAUSTED = /credit balance is too low/i;

export function parseAnthropicError(status: number, bodyText: string): UpstreamErrorInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined; // e.g. an HTML page from the CDN in front of the API
  }
  const error = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
  const message = optionalString(error?.message) ?? `upstream answered HTTP ${status}`;
  const code = optionalString(error?.type) ?? null;
  const quotaExhausted = code === 'billing_error' || CREDIT_EXHAUSTED.test(message);
  return quotaExhausted ? { message, code, quotaExhausted } : { message, code };
}
