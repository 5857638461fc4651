/**
 * Every error the sidecar answers with. Each has a stable `code` and says whose fault it is (`blame`);
 * `toOpenAIError` is the one place that maps them to an HTTP status and the OpenAI error shape
 * `{"error": {message, type, param, code}}`. Request input quoted in a message goes through `echoInput`.
 */
import { echoInput } from './echo.ts';

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'api_error'
  | 'timeout_error';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * Whose fault an error is, which decides what it does to routing. 'request': the app's input (never retried on
 * another provider, never counted against one); 'provider': the upstream's answer or its transport (counted by the
 * breaker and error rates, retried when the outcome allows); 'sidecar': the sidecar's own state or a bug (never
 * counted against a provider either).
 */
export type Blame = 'request' | 'provider' | 'sidecar';

export abstract class SwitchboardError extends Error {
  abstract readonly status: number;
  abstract readonly type: OpenAIErrorType;
  abstract readonly code: string;
  abstract readonly blame: Blame;
  readonly param: string | null;
  constructor(message: string, param: string | null = null) {
    super(message);
    this.name = new.target.name;
    this.param = param;
  }
}

export class InvalidRequestError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'invalid_request';
}

/**
 * The request is longer than any target of its model (and its fallbacks) can hold: by the pool's declared context
 * windows before sending, or by the providers' own context-length errors after. OpenAI's code for the same fault.
 */
export class ContextLengthExceededError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'context_length_exceeded';
  constructor(message: string) {
    super(message, 'messages');
  }
}

export class PayloadTooLargeError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 413;
  readonly type = 'invalid_request_error';
  readonly code = 'request_too_large';
  constructor(limitBytes: number) {
    super(`request body is larger than the limit of ${limitBytes} bytes (spec.limits.maxRequestBodyBytes)`);
  }
}

export class JsonTooDeepError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'json_too_deep';
  constructor(limit: number) {
    super(
      `The request body nests JSON objects and arrays deeper than the limit of ${limit} levels (spec.limits.maxJsonDepth).`,
    );
  }
}

/** The client took too long to send its request (headers, or a body that trickles or stalls). */
export class RequestTimeoutError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 408;
  readonly type = 'invalid_request_error';
  readonly code = 'request_timeout';
  constructor(what: string, limitMs?: number) {
    const within = limitMs === undefined ? 'in time' : `within ${limitMs} ms`;
    super(`The ${what} did not arrive ${within}; the connection is closed.`);
  }
}

/**
 * The request could not be turned into the provider's request (it is too deep or too large to serialize, say):
 * found before a byte left for the provider, so it is the request's fault, whichever provider was picked.
 */
export class UntranslatableRequestError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 400;
  readonly type = 'invalid_request_error';
  readonly code = 'request_not_translatable';
  constructor(provider: string) {
    super(
      `The request could not be prepared for provider ${provider}: it is too large or too deeply nested to serialize.`,
    );
  }
}

/**
 * The client closed its connection before its request ended. Never delivered (no one is listening); it gives the
 * request a status for metrics and logs: nginx's 499, a client-side outcome rather than a server error.
 */
export class ClientClosedRequestError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 499;
  readonly type = 'invalid_request_error';
  readonly code = 'client_closed_request';
  constructor() {
    super('The client closed the connection before its request ended.');
  }
}

/**
 * Node's HTTP parser refused the bytes on the connection: a header section larger than it accepts (431) or
 * something that is not well-formed HTTP/1.1 (400, with the parser's error code as detail).
 */
export class ProtocolError extends SwitchboardError {
  readonly blame = 'request';
  readonly status: number;
  readonly type = 'invalid_request_error';
  readonly code: string;
  constructor(kind: 'headers-too-large' | 'malformed', detail: string) {
    super(
      kind === 'headers-too-large'
        ? 'The request headers are too large.'
        : `The request is not well-formed HTTP (${detail}).`,
    );
    this.status = kind === 'headers-too-large' ? 431 : 400;
    this.code = kind === 'headers-too-large' ? 'request_headers_too_large' : 'malformed_request';
  }
}

/** A JSON endpoint was sent a body labelled as something else (see sidecar/server/content-type.ts). */
export class UnsupportedMediaTypeError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 415;
  readonly type = 'invalid_request_error';
  readonly code = 'unsupported_media_type';
  constructor(contentType: string) {
    super(
      `The request body must be JSON (content-type: application/json), not "${contentType.slice(0, 100)}".`,
    );
  }
}

export class ModelNotFoundError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 404;
  readonly type = 'invalid_request_error';
  readonly code = 'model_not_found';
  constructor(model: string, known: readonly string[]) {
    super(
      `The model "${echoInput(model)}" is not served by this pool. Known models: ${known.length ? known.join(', ') : '(none)'}.`,
      'model',
    );
  }
}

export class RouteNotFoundError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 404;
  readonly type = 'invalid_request_error';
  readonly code = 'unknown_url';
  constructor(method: string, path: string) {
    super(`Unknown request URL: ${method} ${echoInput(path)}.`);
  }
}

export class MethodNotAllowedError extends SwitchboardError {
  readonly blame = 'request';
  readonly status = 405;
  readonly type = 'invalid_request_error';
  readonly code = 'method_not_allowed';
  readonly allow: string;
  constructor(method: string, path: string, allow: string) {
    super(`Method ${method} is not allowed on ${echoInput(path)}; use ${allow}.`);
    this.allow = allow;
  }
}

export class NotReadyError extends SwitchboardError {
  readonly blame = 'sidecar';
  readonly status = 503;
  readonly type = 'server_error';
  readonly code = 'not_ready';
  constructor() {
    super('The sidecar has no provider pool configuration loaded yet.');
  }
}

/** No target could be tried: all are open, cooling down, drained or at their in-flight limit. */
export class NoProviderAvailableError extends SwitchboardError {
  readonly blame = 'sidecar';
  readonly status = 503;
  readonly type = 'server_error';
  readonly code = 'no_provider_available';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The last upstream answer when every attempt failed: its status and message are passed on. */
export class UpstreamError extends SwitchboardError {
  readonly blame = 'provider';
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly code: string;
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, message: string, code: string | null, retryAfterSeconds?: number) {
    super(message);
    this.status = status;
    this.type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
    this.code = code ?? 'upstream_error';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The provider reported an error inside a stream it had started (e.g. Anthropic's `error` event). */
export interface UpstreamStreamErrorOptions {
  readonly status?: number;
  readonly retryable?: boolean;
  readonly quotaExhausted?: boolean;
  readonly contextLengthExceeded?: boolean;
}

export class UpstreamStreamError extends SwitchboardError {
  readonly blame = 'provider';
  readonly status: number;
  readonly type: OpenAIErrorType = 'api_error';
  readonly code: string;
  /** Whether another provider may succeed (overloaded: yes; a refused request: no). */
  readonly retryable: boolean;
  /** The account's quota or credit is used up (as UpstreamErrorInfo.quotaExhausted): the provider cools down long. */
  readonly quotaExhausted: boolean;
  /** The request is too long for the model's context window (as UpstreamErrorInfo.contextLengthExceeded). */
  readonly contextLengthExceeded: boolean;
  constructor(message: string, code: string, options: UpstreamStreamErrorOptions = {}) {
    super(message);
    this.status = options.status ?? 502;
    this.code = code;
    this.retryable = options.retryable ?? true;
    this.quotaExhausted = options.quotaExhausted ?? false;
    this.contextLengthExceeded = options.contextLengthExceeded ?? false;
  }

  /** The same error with `redact` applied to the provider's text (message and code). */
  redacted(redact: (text: string) => string): UpstreamStreamError {
    return new UpstreamStreamError(redact(this.message), redact(this.code), {
      status: this.status,
      retryable: this.retryable,
      quotaExhausted: this.quotaExhausted,
      contextLengthExceeded: this.contextLengthExceeded,
    });
  }
}

/** The provider answered with something that is not its API's shape (a non-JSON body, a malformed event). */
export class UpstreamProtocolError extends SwitchboardError {
  readonly blame = 'provider';
  readonly status = 502;
  readonly type = 'api_error';
  readonly code = 'bad_upstream_response';
}

/** A stream that ended before its end marker. */
export class StreamCutError extends SwitchboardError {
  readonly blame = 'provider';
  readonly status = 502;
  readonly type = 'api_error';
  readonly code = 'stream_interrupted';
}

/** A bug or unexpected state in the sidecar: a generic message, never the internal one (it may carry secrets). */
export class InternalError extends SwitchboardError {
  readonly blame = 'sidecar';
  readonly status = 500;
  readonly type = 'server_error';
  readonly code = 'internal_error';
  constructor() {
    super('internal error in the Switchboard sidecar');
  }
}

/** The upstream could not be reached or did not answer in time. */
export class UpstreamUnavailableError extends SwitchboardError {
  readonly blame = 'provider';
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly code: string;
  constructor(kind: 'connect' | 'timeout' | 'reset', message: string) {
    super(message);
    this.status = kind === 'timeout' ? 504 : 502;
    this.type = kind === 'timeout' ? 'timeout_error' : 'api_error';
    this.code = kind === 'timeout' ? 'upstream_timeout' : 'upstream_unreachable';
  }
}

export interface HttpErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: OpenAIErrorBody;
}

export function toOpenAIError(thrown: unknown): HttpErrorResponse {
  // Unexpected errors get a generic message, never the internal one (it may carry URLs or secrets).
  const err = thrown instanceof SwitchboardError ? thrown : new InternalError();
  const headers: Record<string, string> = {};
  if (err instanceof NoProviderAvailableError) headers['retry-after'] = String(err.retryAfterSeconds);
  if (err instanceof UpstreamError && err.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(err.retryAfterSeconds);
  }
  if (err instanceof MethodNotAllowedError) headers['allow'] = err.allow;
  return {
    status: err.status,
    headers,
    body: { error: { message: err.message, type: err.type, param: err.param, code: err.code } },
  };
}
