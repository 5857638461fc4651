import type { IncomingHttpHeaders } from 'node:http';
import type { MockBehaviour } from './behaviour.ts';
import type { RateLimitState } from './rate-limit-window.ts';

/** A request as a dialect's route sees it. */
export interface MockRequest {
  readonly method: string;
  readonly path: string;
  /** Values captured by the `:name` parameters of the route's path. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the body was empty. */
  readonly body: unknown;
}

export interface MockRouteContext {
  readonly request: MockRequest;
  /** The provider's name, for replies that tell which mock answered. */
  readonly providerName: string;
  readonly models: readonly string[];
  /** When true, unknown models are refused as the real API refuses them. */
  readonly strictModels: boolean;
  readonly behaviour: Readonly<MockBehaviour>;
  /** Current time in Unix seconds, for `created` fields. */
  readonly nowSeconds: number;
  /** A random base62 string (deterministic when the provider has a seed). */
  randomId(length: number): string;
}

export interface MockJsonReply {
  readonly kind: 'json';
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Tokens the answer used, charged to the token rate limit. */
  readonly tokens?: number;
}

/** A streamed answer: SSE-framed events written in order, paced and possibly cut by the server. */
export interface MockSseReply {
  readonly kind: 'sse';
  readonly events: readonly string[];
  readonly tokens: number;
}

export type MockReply = MockJsonReply | MockSseReply;

export interface MockRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /**
   * Express path below the origin, e.g. `/v1/models/:model`; `:name` captures one segment part into `params` (a
   * literal colon is escaped with a backslash: `'/:version/models/:model\\:generateContent'` in source).
   */
  readonly pattern: string;
  handle(context: MockRouteContext): MockReply;
}

/** Failures the generic server decides on; each dialect words them in its own error shape. */
export type MockFailure =
  | { readonly kind: 'unauthorized'; readonly presentedKey: string | undefined }
  | {
      readonly kind: 'rate-limited';
      readonly scope: 'requests' | 'tokens';
      readonly limit: number;
      readonly retryAfterMs: number;
    }
  | { readonly kind: 'insufficient-quota' }
  /** The prompt plus the output asked for (`requested` tokens) exceed the model's window (`limit`). */
  | { readonly kind: 'context-length-exceeded'; readonly requested: number; readonly limit: number }
  /**
   * `message`: wording instead of the dialect's usual one (the `errorMessage` knob); `detail`: words added to the
   * message in parentheses (a quoted key, see key-echo.ts). `serverErrorMessage` puts them together.
   */
  | { readonly kind: 'server-error'; readonly message?: string; readonly detail?: string }
  | { readonly kind: 'malformed-json' }
  | { readonly kind: 'body-too-large'; readonly limitBytes: number }
  | { readonly kind: 'not-found'; readonly method: string; readonly path: string };

/**
 * One provider API's wire format. The generic server owns transport, behaviour knobs and stats;
 * a dialect owns routes, bodies, error shapes and header names. Dialects live in `dialects/<name>/`.
 */
export interface MockDialect {
  readonly name: string;
  /** Path prefix of the API; the provider's `url` is origin + basePath (what an SDK takes as base URL). */
  readonly basePath: string;
  readonly routes: readonly MockRoute[];
  /** The API key the request presents, if any. */
  apiKeyOf(request: MockRequest): string | undefined;
  failure(failure: MockFailure): MockJsonReply;
  /**
   * The failure as the SSE event the API sends when it fails after a stream has started, framed as the dialect
   * frames its other events.
   */
  streamFailure(failure: MockFailure): string;
  /** The stream's last event is a terminal marker (`[DONE]`, `message_stop`), which `omitStreamEnd` drops. */
  readonly streamEndMarker: boolean;
  /** `nowMs`: the provider clock's time, for dialects that announce resets as timestamps. */
  rateLimitHeaders(state: RateLimitState, nowMs: number): Record<string, string>;
  /** Headers on every answer, e.g. a request id. */
  commonHeaders(info: {
    providerName: string;
    elapsedMs: number;
    randomId(length: number): string;
  }): Record<string, string>;
}
