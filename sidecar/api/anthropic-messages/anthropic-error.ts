import type { OpenAIErrorBody } from '../../core/errors.ts';
import type { AnthropicErrorBody, AnthropicErrorType } from '../../providers/anthropic/anthropic-types.ts';

/** Anthropic's error type for each HTTP status it documents; other 4xx are invalid requests, other 5xx API errors. */
const TYPES: Readonly<Record<number, AnthropicErrorType>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  // No provider could take the request now: what Anthropic calls being overloaded.
  503: 'overloaded_error',
  529: 'overloaded_error',
};

export function anthropicErrorType(status: number): AnthropicErrorType {
  return TYPES[status] ?? (status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error');
}

/** `{"type": "error", "error": {type, message}}`; the OpenAI error's code, which Anthropic has no field for, is dropped. */
export function toAnthropicError(status: number, body: OpenAIErrorBody): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(status), message: body.error.message } };
}

/** Error types of a stream that failed after it began, from the OpenAI error type (no status is sent then). */
const STREAM_TYPES: Readonly<Record<string, AnthropicErrorType>> = {
  invalid_request_error: 'invalid_request_error',
  not_found_error: 'not_found_error',
  rate_limit_error: 'rate_limit_error',
};

export function toAnthropicStreamError(body: OpenAIErrorBody): AnthropicErrorBody {
  const type = STREAM_TYPES[body.error.type] ?? 'api_error';
  return { type: 'error', error: { type, message: body.error.message } };
}
