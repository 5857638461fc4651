/**
 * The `anthropic` dialect: Anthropic's Messages API (`POST {baseURL}/v1/messages`, baseURL as Anthropic's SDK
 * takes it, e.g. https://api.anthropic.com). Chat only: Anthropic offers no embeddings.
 */
import { systemClock, type Clock } from '../../core/clock.ts';
import type {
  HeaderLookup,
  Operation,
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

/** `{baseURL}/v1/messages`; a base URL that already ends in /v1 is taken as meant. */
export function messagesURL(baseURL: string): URL {
  const base = baseURL.endsWith('/') ? baseURL : `${baseURL}/`;
  return new URL(base.endsWith('/v1/') ? 'messages' : 'v1/messages', base);
}

export class AnthropicAdapter implements ProviderAdapter {
  readonly dialect = 'anthropic';
  readonly operations: ReadonlySet<Operation> = new Set<Operation>(['chat']);
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
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: body.stream === true ? 'text/event-stream' : 'application/json',
      'anthropic-version': target.apiVersion ?? ANTHROPIC_DEFAULT_VERSION,
    };
    if (target.apiKey) headers['x-api-key'] = target.apiKey.reveal();
    return { url: messagesURL(target.baseURL), headers, body: JSON.stringify(body) };
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
