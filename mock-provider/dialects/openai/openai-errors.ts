import type { MockFailure, MockJsonReply } from '../../dialect.ts';
import { serverErrorMessage } from '../../key-echo.ts';
import { formatOpenAiDuration } from './openai-duration.ts';

/** OpenAI's error envelope. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAiError(
  status: number,
  error: OpenAiErrorBody['error'],
  headers?: Readonly<Record<string, string>>,
): MockJsonReply {
  const body: OpenAiErrorBody = { error };
  return headers === undefined ? { kind: 'json', status, body } : { kind: 'json', status, body, headers };
}

/** A 400 `invalid_request_error`, the answer to a request the API cannot accept. */
export function invalidRequest(
  message: string,
  param: string | null = null,
  code: string | null = null,
): MockJsonReply {
  return openAiError(400, { message, type: 'invalid_request_error', param, code });
}

export function modelNotFound(model: string): MockJsonReply {
  return openAiError(404, {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  });
}

/** Words a failure decided by the generic server the way the OpenAI API does. */
export function openAiFailure(failure: MockFailure): MockJsonReply {
  switch (failure.kind) {
    case 'unauthorized':
      return openAiError(401, {
        message:
          failure.presentedKey === undefined
            ? "You didn't provide an API key. Send it in an Authorization header using Bearer auth (Authorization: Bearer YOUR_KEY)."
            : `Incorrect API key provided: ${redact(failure.presentedKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      });
    case 'rate-limited': {
      const unit = failure.scope === 'requests' ? 'RPM' : 'TPM';
      return openAiError(
        429,
        {
          message: `Rate limit reached in organization org-mock on ${failure.scope} per min (${unit}): Limit ${failure.limit}. Please try again in ${formatOpenAiDuration(failure.retryAfterMs)}.`,
          type: failure.scope,
          param: null,
          code: 'rate_limit_exceeded',
        },
        {
          'retry-after': String(Math.ceil(failure.retryAfterMs / 1000)),
          'retry-after-ms': String(Math.round(failure.retryAfterMs)),
        },
      );
    }
    case 'insufficient-quota':
      return openAiError(429, {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      });
    case 'context-length-exceeded':
      return openAiError(400, {
        message: `This model's maximum context length is ${failure.limit} tokens. However, you requested ${failure.requested} tokens. Please reduce the length of the messages or completion.`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      });
    case 'server-error':
      return openAiError(500, {
        message: serverErrorMessage(
          failure,
          'The server had an error while processing your request. Sorry about that!',
        ),
        type: 'server_error',
        param: null,
        code: null,
      });
    case 'malformed-json':
      return invalidRequest(
        'We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.',
      );
    case 'body-too-large':
      return openAiError(413, {
        message: `The request body is larger than the limit of ${failure.limitBytes} bytes.`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    case 'not-found':
      return openAiError(404, {
        message: `Invalid URL (${failure.method} ${failure.path})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
  }
}

/**
 * A failure inside a stream: a `data:` event carrying the error body, after which the API closes the stream
 * without `[DONE]` (Azure OpenAI streams fail the same way, with its own bodies).
 */
export function errorDataEvent(reply: MockJsonReply): string {
  return `data: ${JSON.stringify(reply.body)}\n\n`;
}

function redact(key: string): string {
  return key.length <= 8
    ? '*'.repeat(key.length)
    : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
