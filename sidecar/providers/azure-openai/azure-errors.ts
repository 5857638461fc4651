import type { UpstreamErrorInfo } from '../adapter.ts';
import { isRecord, parseJson } from '../../../core/json.ts';
import { isContextLengthError } from '../openai/openai-stream.ts';

/** "Please retry after 6 seconds." in Azure's 429 messages. */
const RETRY_AFTER_IN_MESSAGE = /retry after (\d+(?:\.\d+)?) seconds?/i;

/**
 * Reads Azure OpenAI's error bodies, which come in several shapes:
 * - OpenAI's `{"error": {message, type, param, code}}` (most validation errors);
 * - the gateway's `{"error": {"code": "429", "message": ...}}`, whose code is only the HTTP status again;
 * - content filtering's `{"error": {"code": "content_filter", ..., "innererror": {"code":
 *   "ResponsibleAIPolicyViolation", "content_filter_result": {...}}}}`;
 * - a bare `{"code": 400, "message": ...}` or `{"statusCode": 401, "message": ...}` without the envelope.
 */
export function parseAzureError(status: number, bodyText: string): UpstreamErrorInfo {
  const parsed = parseJson(bodyText);
  const error = isRecord(parsed) ? (isRecord(parsed.error) ? parsed.error : parsed) : undefined;
  const message = typeof error?.message === 'string' ? error.message : `upstream answered HTTP ${status}`;
  const code = meaningfulCode(error);
  const retry = RETRY_AFTER_IN_MESSAGE.exec(message)?.[1];
  return {
    message,
    code,
    ...(code === 'insufficient_quota' && { quotaExhausted: true }),
    ...(isContextLengthError(code, message) && { contextLengthExceeded: true }),
    ...(retry !== undefined && { retryAfterMs: Number(retry) * 1000 }),
  };
}

/** A code worth passing on: not a restated status number; the inner error's when the outer one says nothing. */
function meaningfulCode(error: Record<string, unknown> | undefined): string | null {
  const inner = isRecord(error?.innererror) ? error.innererror : undefined;
  for (const candidate of [error?.code, error?.type]) {
    if (typeof candidate === 'string' && candidate !== '' && !/^\d+$/.test(candidate)) return candidate;
  }
  if (inner?.code === 'ResponsibleAIPolicyViolation') return 'content_filter';
  return typeof inner?.code === 'string' ? inner.code : null;
}
