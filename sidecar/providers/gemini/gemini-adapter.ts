/**
 * The Gemini API dialect (Google's Generative Language API, v1beta): chat via `generateContent` and
 * `streamGenerateContent?alt=sse`, embeddings via `batchEmbedContents`, the key in `x-goog-api-key`.
 */
import type { ProviderType } from '../../../api/v1alpha1/providerpool.ts';
import { systemClock, type Clock } from '../../../core/clock.ts';
import { InvalidRequestError } from '../../core/errors.ts';
import type {
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
import { translateChatRequest } from './chat-request.ts';
import { translateChatResponse } from './chat-response.ts';
import { GeminiStreamTranslator } from './chat-stream.ts';
import { translateEmbeddingsRequest, translateEmbeddingsResponse } from './embeddings.ts';
import { parseGoogleError } from './gemini-errors.ts';
import { methodURL, modelsURL } from './gemini-url.ts';
import { UntranslatableRequest, untranslatableReason } from './untranslatable.ts';

type Request = Readonly<Record<string, unknown>>;

export class GeminiAdapter implements ProviderAdapter {
  readonly dialect: ProviderType = 'gemini';
  readonly operations: ReadonlySet<Operation> = new Set<Operation>(['chat', 'embeddings']);
  /** Gemini documents no continuation of a final model turn. */
  readonly continuation = 'none';
  readonly #clock: Clock;

  /** The clock dates answers (`created`), which Gemini's responses do not carry. */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** `GET {baseURL}/{version}/models`: lists models, costs nothing. */
  probeRequest(target: TargetEndpoint): ProbeRequest {
    return { url: modelsURL(target), headers: authHeaders(target) };
  }

  buildRequest(operation: Operation, request: Request, target: TargetEndpoint): UpstreamRequest {
    const headers = { ...authHeaders(target), 'content-type': 'application/json' };
    try {
      if (operation === 'embeddings') {
        const body = translateEmbeddingsRequest(request, target);
        return { url: methodURL(target, 'batchEmbedContents'), headers, body: JSON.stringify(body) };
      }
      const body = JSON.stringify(translateChatRequest(request, target));
      if (request.stream === true) {
        const url = methodURL(target, 'streamGenerateContent', { alt: 'sse' });
        return { url, headers: { ...headers, accept: 'text/event-stream' }, body };
      }
      return { url: methodURL(target, 'generateContent'), headers, body };
    } catch (err) {
      // unsupported() has refused such requests before a target is picked; this is a last line of defence.
      if (err instanceof UntranslatableRequest) throw new InvalidRequestError(err.message);
      throw err;
    }
  }

  translateResponse(
    operation: Operation,
    body: unknown,
    target: TargetEndpoint,
    request: Request,
  ): { body: unknown; usage: TokenUsage | undefined } {
    return operation === 'embeddings'
      ? translateEmbeddingsResponse(body, target, request)
      : translateChatResponse(body, target, this.#nowSeconds());
  }

  createStreamTranslator(target: TargetEndpoint, options: TranslateOptions): StreamTranslator {
    return new GeminiStreamTranslator(target, options, this.#nowSeconds());
  }

  unsupported(operation: Operation, request: Request): string | undefined {
    // Only what the request asks for matters here; the target's model and URL do not change the answer.
    const probe: TargetEndpoint = {
      baseURL: 'http://gemini.invalid',
      model: 'probe',
      apiKey: undefined,
      maxOutputTokens: undefined,
      apiVersion: undefined,
    };
    return untranslatableReason(() =>
      operation === 'embeddings'
        ? translateEmbeddingsRequest(request, probe)
        : translateChatRequest(request, probe),
    );
  }

  parseError(status: number, bodyText: string): UpstreamErrorInfo {
    return parseGoogleError(status, bodyText);
  }

  /** Gemini announces no rate-limit budgets in headers; its 429s carry RetryInfo, read by parseError. */
  readRateLimits(): RateLimitSnapshot | undefined {
    return undefined;
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock.now() / 1000);
  }
}

function authHeaders(target: TargetEndpoint): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.apiKey) headers['x-goog-api-key'] = target.apiKey.reveal();
  return headers;
}
