/**
 * Google API errors (`{"error": {code, message, status, details: [google.rpc.*]}}`) → what the sidecar needs:
 * a message, the canonical status as code, the wait a `google.rpc.RetryInfo` asks for, and whether a
 * `google.rpc.QuotaFailure` names a daily or monthly quota (used up for long, not a per-minute rate limit), and
 * whether that quota is one model's alone.
 */
import { MAX_RETRY_AFTER_MS } from '../../retry/retry-after.ts';
import type { UpstreamErrorInfo } from '../adapter.ts';
import { isRecord, parseJson, recordsIn, stringOf } from '../../../core/json.ts';

/** HTTP status of each canonical error code (google.rpc.Code), for errors that arrive without one. */
const HTTP_STATUS: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** ErrorInfo reasons that say the key is bad: a credential fault, whatever the status (Gemini sends 400). */
const KEY_REASONS = new Set(['API_KEY_INVALID', 'API_KEY_EXPIRED', 'API_KEY_SERVICE_BLOCKED']);

const LONG_QUOTA = /PerDay|PerMonth/i;
const PER_MODEL_QUOTA = /PerModel/i;

/** A request longer than the model's window, 400 INVALID_ARGUMENT: "The input token count (1189999) exceeds the
 * maximum number of tokens allowed (1048576)." */
const CONTEXT_TOO_LONG = /token count.*exceeds the maximum number of tokens/i;

export function isGeminiContextLengthError(httpStatus: number, message: string): boolean {
  return httpStatus === 400 && CONTEXT_TOO_LONG.test(message);
}

const PROTO_DURATION = /^(-?\d+)(?:\.(\d{1,9}))?s$/;

export function googleErrorStatus(code: number | undefined, status: string | undefined): number {
  if (code !== undefined && Number.isInteger(code) && code >= 400 && code <= 599) return code;
  return HTTP_STATUS[status ?? ''] ?? 502;
}

/** A google.protobuf.Duration in its JSON form ("30s", "1.5s") in ms, clamped to the sidecar's longest wait. */
export function parseProtoDuration(text: string | undefined): number | undefined {
  const match = PROTO_DURATION.exec(text?.trim() ?? '');
  if (!match) return undefined;
  const ms = Number(`${match[1]}.${match[2] ?? '0'}`) * 1000;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

function detailOf(details: Record<string, unknown>[], type: string): Record<string, unknown>[] {
  return details.filter((d) => stringOf(d['@type'])?.endsWith(`/google.rpc.${type}`) === true);
}

/**
 * A quota counted per model ("GenerateRequestsPerDayPerProjectPerModel-FreeTier", or a `model` among its
 * quotaDimensions): using it up leaves the project's other models their own.
 */
function isPerModelQuota(violation: Record<string, unknown>): boolean {
  const dimensions = isRecord(violation.quotaDimensions) ? violation.quotaDimensions : undefined;
  return PER_MODEL_QUOTA.test(stringOf(violation.quotaId) ?? '') || stringOf(dimensions?.model) !== undefined;
}

export function parseGoogleError(httpStatus: number, bodyText: string): UpstreamErrorInfo {
  const parsed = parseJson(bodyText);
  // streamGenerateContent without alt=sse answers errors inside a JSON array.
  const envelope = Array.isArray(parsed) ? parsed.find(isRecord) : parsed;
  const error = isRecord(envelope) && isRecord(envelope.error) ? envelope.error : undefined;
  const message = stringOf(error?.message) ?? `upstream answered HTTP ${httpStatus}`;
  const status = stringOf(error?.status) ?? null;
  const details = recordsIn(error?.details);

  const retryAfterMs = detailOf(details, 'RetryInfo')
    .map((d) => parseProtoDuration(stringOf(d.retryDelay)))
    .find((ms) => ms !== undefined);
  const longQuotas = detailOf(details, 'QuotaFailure')
    .flatMap((d) => recordsIn(d.violations))
    .filter((v) => LONG_QUOTA.test(stringOf(v.quotaId) ?? ''));
  const quotaExhausted = longQuotas.length > 0;
  const quotaOfModelOnly = quotaExhausted && longQuotas.every(isPerModelQuota);
  const badKey = detailOf(details, 'ErrorInfo').some((d) => KEY_REASONS.has(stringOf(d.reason) ?? ''));
  // A bad key (400 API_KEY_INVALID) and an account the API will not serve here (400 FAILED_PRECONDITION: "User
  // location is not supported", "free tier is not available in your country") are the pool's configuration at
  // fault, not the request: routed as 401 and 403, so another provider is tried and this one's breaker counts it.
  const meansStatus = badKey ? 401 : status === 'FAILED_PRECONDITION' ? 403 : undefined;

  return {
    message,
    code: status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(quotaExhausted && { quotaExhausted }),
    ...(quotaOfModelOnly && { quotaOfModelOnly }),
    ...(isGeminiContextLengthError(httpStatus, message) && { contextLengthExceeded: true }),
    ...(meansStatus !== undefined && meansStatus !== httpStatus && { status: meansStatus }),
  };
}
