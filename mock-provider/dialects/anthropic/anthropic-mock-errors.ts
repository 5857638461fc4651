/** Anthropic's error answers, `{"type":"error","error":{"type","message"}}`, for the mock's refusals. */
import {
  ANTHROPIC_ERROR_STATUS,
  type AnthropicErrorBody,
  type AnthropicErrorType,
} from '../../../sidecar/providers/anthropic/anthropic-types.ts';
import type { MockFailure, MockJsonReply } from '../../dialect.ts';
import { serverErrorMessage } from '../../key-echo.ts';

export function anthropicError(
  type: AnthropicErrorType,
  message: string,
  headers?: Readonly<Record<string, string>>,
): MockJsonReply {
  const body: AnthropicErrorBody = { type: 'error', error: { type, message } };
  const status = ANTHROPIC_ERROR_STATUS[type] ?? 400;
  return headers === undefined ? { kind: 'json', status, body } : { kind: 'json', status, body, headers };
}

/** Thrown while reading a request the real API would refuse; carries the refusal. */
export class AnthropicRequestError extends Error {
  readonly reply: MockJsonReply;
  constructor(reply: MockJsonReply) {
    super('request refused');
    this.reply = reply;
  }
}

/** A 400 `invalid_request_error`, worded as the API words field errors ("max_tokens: Field required"). */
export function invalid(message: string): AnthropicRequestError {
  return new AnthropicRequestError(anthropicError('invalid_request_error', message));
}

/** How the server's own failures (500s) are worded: an internal error, or overload (529). */
export type ServerErrorKind = 'api_error' | 'overloaded_error';

/** Words a failure decided by the generic server the way the Anthropic API does. */
export function anthropicFailure(failure: MockFailure, serverError: ServerErrorKind): MockJsonReply {
  switch (failure.kind) {
    case 'unauthorized':
      return anthropicError(
        'authentication_error',
        failure.presentedKey === undefined ? 'x-api-key header is required' : 'invalid x-api-key',
      );
    case 'rate-limited': {
      const unit = failure.scope === 'requests' ? 'requests' : 'input tokens';
      return anthropicError(
        'rate_limit_error',
        `This request would exceed the rate limit for your organization of ${failure.limit} ${unit} per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.`,
        { 'retry-after': String(Math.max(1, Math.ceil(failure.retryAfterMs / 1000))) },
      );
    }
    case 'insufficient-quota':
      // The API answers a used-up credit balance with a 400, not a 429.
      return anthropicError(
        'invalid_request_error',
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      );
    case 'context-length-exceeded':
      return anthropicError(
        'invalid_request_error',
        `prompt is too long: ${failure.requested} tokens > ${failure.limit} maximum`,
      );
    case 'server-error':
      return serverError === 'overloaded_error'
        ? anthropicError('overloaded_error', serverErrorMessage(failure, 'Overloaded'))
        : anthropicError('api_error', serverErrorMessage(failure, 'Internal server error'));
    case 'malformed-json':
      return anthropicError(
        'invalid_request_error',
        'There was an issue with the JSON body of your request.',
      );
    case 'body-too-large':
      return anthropicError('request_too_large', 'Request exceeds the maximum allowed number of bytes.');
    case 'not-found':
      return anthropicError('not_found_error', 'Not Found');
  }
}
