/**
 * The `anthropic` dialect: Anthropic's Messages API (`POST {baseURL}/v1/messages`, baseURL as Anthropic's SDK
 * takes it, e.g. https://api.anthropic.com). Chat only: Anthropic offers no embeddings.
 */
import { systemClock, type Clock } from '../../../core/clock.ts';
import type {
  HeaderLookup,
  Operation,
  ProbeRequest,
  ProviderAdapter,
  RateLimitSnapshot,
  StreamTranslator,
  TargetEndpoint,
  TokenUsage,
  TranslateOptions,
  UpstreamErrorInfo,
  UpstreamRequest,
} from '../adapter.ts';
import { parseAnthropicError } from './anthropic-errors.ts';
import { readAnthropicRateLimits } from './anthropic-rate-limits.ts';
import { toMessagesRequest } from './anthropic-request.ts';
import { translateMessage } from './anthropic-response.ts';
import { AnthropicStreamTranslator } from './anthropic-stream.ts';
import { ANTHROPIC_DEFAULT_VERSION } from './anthropic-types.ts';
import { unsupportedFeature } from './anthropic-unsupported.ts';
import { Untranslatable } from './untranslatable.ts';

/** `{baseURL}/v1/{path}`; a base URL that already ends in /v1 is taken as meant. */
function v1URL(baseURL: string, path: string): URL {
  const base = baseURL.endsWith('/') ? baseURL : `${baseURL}/`;
  return new URL(base.endsWith('/v1/') ? path : `v1/${path}`, base);
}

/** `{baseURL}/v1/messages`; a base URL that already ends in /v1 is taken as meant. */
export function messagesURL(baseURL: string): URL {
  return v1URL(baseURL, 'messages');
}

export class AnthropicAdapter implements ProviderAdapter {
  readonly dialect = 'anthropic';
  readonly operations: ReadonlySet<Operation> = new Set<Operation>(['chat']);
  /** A request ending with an assistant turn has the answer continue it (assistant prefill). */
  readonly continuation = 'prefill';
  readonly #clock: Clock;

  /** The clock dates answers (`created`), which Anthropic's responses do not carry. */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  buildRequest(
    operation: Operation,
    request: Readonly<Record<string, unknown>>,
    target: TargetEndpoint,
  ): UpstreamRequest {
    if (operation !== 'chat')
      throw new Untranslatable(`${operation} is not available in the anthropic dialect`);
    const body = toMessagesRequest(request, { model: target.model, maxOutputTokens: target.maxOutputTokens });
    const headers = {
      ...authHeaders(target),
      'content-type': 'application/json',
      accept: body.stream === true ? 'text/event-stream' : 'application/json',
    };
    return { url: messagesURL(target.baseURL), headers, body: JSON.stringify(body) };
  }

  /** `GET {baseURL}/v1/models`: lists models, costs nothing. */
  probeRequest(target: TargetEndpoint): ProbeRequest {
    return {
      url: v1URL(target.baseURL, 'models'),
      headers: { ...authHeaders(target), accept: 'application/json' },
    };
  }

  translateResponse(
    _operation: Operation,
    body: unknown,
    _target: TargetEndpoint,
    _request: Readonly<Record<string, unknown>>,
  ): { body: unknown; usage: TokenUsage | undefined } {
    return translateMessage(body, this.#nowSeconds());
  }

  createStreamTranslator(_target: TargetEndpoint, options: TranslateOptions): StreamTranslator {
    return new AnthropicStreamTranslator(options, this.#nowSeconds());
  }

  unsupported(operation: Operation, request: Readonly<Record<string, unknown>>): string | undefined {
    if (operation !== 'chat') return `${operation}: Anthropic offers no such API`;
    return unsupportedFeature(request);
  }

  parseError(status: number, bodyText: string): UpstreamErrorInfo {
    return parseAnthropicError(status, bodyText);
  }

  /** Resets are absolute timestamps, so `now` is not needed to place them. */
  readRateLimits(header: HeaderLookup, _now: number): RateLimitSnapshot | undefined {
    return readAnthropicRateLimits(header);
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock.now() / 1000);
  }
}

function authHeaders(target: TargetEndpoint): Record<string, string> {
  const headers: Record<string, string> = {
    'anthropic-version': target.apiVersion ?? ANTHROPIC_DEFAULT_VERSION,
  };
  if (target.apiKey) headers['x-api-key'] = target.apiKey.reveal();
  return headers;
}
