/**
 * Google API error bodies, `{"error": {code, message, status, details}}`, with `google.rpc` detail messages, as
 * the Gemini API sends them (https://ai.google.dev/gemini-api/docs/troubleshooting).
 */
import type { MockFailure, MockJsonReply } from '../../dialect.ts';
import { serverErrorMessage } from '../../key-echo.ts';

const TYPE_PREFIX = 'type.googleapis.com/google.rpc.';
const RATE_LIMITS_DOC = 'https://ai.google.dev/gemini-api/docs/rate-limits';
const QUOTA_MESSAGE = `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: ${RATE_LIMITS_DOC}.`;
/** RetryInfo of a used-up daily quota: Google still suggests a short wait, which is why its QuotaFailure matters. */
const DAILY_QUOTA_RETRY_DELAY = '30s';

export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

const HTTP: Readonly<Record<GoogleStatus, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export function googleError(
  status: GoogleStatus,
  message: string,
  details?: readonly object[],
): MockJsonReply {
  const code = HTTP[status];
  const error = { code, message, status, ...(details && details.length > 0 && { details }) };
  return { kind: 'json', status: code, body: { error } };
}

function rpcDetail(type: string, fields: object): object {
  return { '@type': `${TYPE_PREFIX}${type}`, ...fields };
}

/** A field-validation refusal, worded as the API words them: `* Request.path: problem`. */
export function invalidField(path: string, problem: string): MockJsonReply {
  return googleError('INVALID_ARGUMENT', `* ${path}: ${problem}\n`);
}

/** The JSON parser's refusal of a field it does not know or a value of the wrong type. */
export function invalidPayload(description: string): MockJsonReply {
  const message = `Invalid JSON payload received. ${description}`;
  return googleError('INVALID_ARGUMENT', message, [
    rpcDetail('BadRequest', { fieldViolations: [{ description: message }] }),
  ]);
}

/** A duration as google.protobuf.Duration's JSON form: "30s", "1.5s". */
function protoDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return `${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(3))}s`;
}

function quotaExceeded(
  quotaMetric: string,
  quotaId: string,
  limit: number,
  retryDelay: string,
): MockJsonReply {
  return googleError('RESOURCE_EXHAUSTED', QUOTA_MESSAGE, [
    rpcDetail('QuotaFailure', {
      violations: [
        { quotaMetric, quotaId, quotaDimensions: { location: 'global' }, quotaValue: String(limit) },
      ],
    }),
    rpcDetail('Help', {
      links: [{ description: 'Learn more about Gemini API quotas', url: RATE_LIMITS_DOC }],
    }),
    rpcDetail('RetryInfo', { retryDelay }),
  ]);
}

/** Words a failure decided by the generic server the way the Gemini API does. */
export function geminiFailure(failure: MockFailure): MockJsonReply {
  switch (failure.kind) {
    case 'unauthorized':
      return failure.presentedKey === undefined
        ? googleError(
            'PERMISSION_DENIED',
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          )
        : googleError('INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
            rpcDetail('ErrorInfo', {
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
              metadata: { service: 'generativelanguage.googleapis.com' },
            }),
            rpcDetail('LocalizedMessage', {
              locale: 'en-US',
              message: 'API key not valid. Please pass a valid API key.',
            }),
          ]);
    case 'rate-limited':
      return failure.scope === 'requests'
        ? quotaExceeded(
            'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            failure.limit,
            protoDuration(failure.retryAfterMs),
          )
        : quotaExceeded(
            'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count',
            'GenerateContentInputTokensPerModelPerMinute-FreeTier',
            failure.limit,
            protoDuration(failure.retryAfterMs),
          );
    case 'insufficient-quota':
      return quotaExceeded(
        'generativelanguage.googleapis.com/generate_content_free_tier_requests',
        'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
        250,
        DAILY_QUOTA_RETRY_DELAY,
      );
    case 'context-length-exceeded':
      return googleError(
        'INVALID_ARGUMENT',
        `The input token count (${failure.requested}) exceeds the maximum number of tokens allowed (${failure.limit}).`,
      );
    case 'server-error':
      return googleError(
        'INTERNAL',
        serverErrorMessage(
          failure,
          'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
        ),
      );
    case 'malformed-json':
      return invalidPayload('Unexpected token.');
    case 'body-too-large':
      return googleError(
        'INVALID_ARGUMENT',
        `Request payload size exceeds the limit: ${failure.limitBytes} bytes.`,
      );
    case 'not-found':
      return googleError('NOT_FOUND', `Method not found: ${failure.method} ${failure.path}`);
  }
}

export function modelNotFound(model: string, version: string, method: string): MockJsonReply {
  return googleError(
    'NOT_FOUND',
    `models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}
