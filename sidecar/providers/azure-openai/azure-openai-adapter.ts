import type { ProviderType } from '../../../api/v1alpha1/providerpool.ts';
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
import { OpenAIAdapter, requestStreamUsage } from '../openai/openai-adapter.ts';
import { apiVersionFeatures, DEFAULT_API_VERSION } from './api-version.ts';
import { parseAzureError } from './azure-errors.ts';
import { AzureStreamTranslator } from './azure-stream-translator.ts';
import { deploymentURL } from './deployment-url.ts';

const PATHS: Record<Operation, string> = { chat: 'chat/completions', embeddings: 'embeddings' };

/**
 * Azure OpenAI: OpenAI's bodies and streams behind deployment URLs, an `api-version` query and an `api-key`
 * header. The target's `model` is the deployment name; the provider's `apiVersion` defaults to the latest GA one.
 *
 * A 400 `content_filter` (the prompt tripped the resource's content policy) is passed to the app and not retried
 * elsewhere: it is a policy decision of whoever runs the resource, and sending the same prompt to another provider
 * would route around it. Answers filtered mid-way keep OpenAI's `finish_reason: "content_filter"`.
 */
export class AzureOpenAIAdapter implements ProviderAdapter {
  readonly dialect: ProviderType = 'azure-openai';
  readonly operations: ReadonlySet<Operation> = new Set<Operation>(['chat', 'embeddings']);
  /** As OpenAI: a final assistant message is answered anew, not continued. */
  readonly continuation = 'none';
  /** Bodies, streams and usage are OpenAI's: those parts are the OpenAI adapter's. */
  readonly #openai = new OpenAIAdapter('azure-openai');

  buildRequest(
    operation: Operation,
    request: Readonly<Record<string, unknown>>,
    target: TargetEndpoint,
  ): UpstreamRequest {
    const apiVersion = target.apiVersion ?? DEFAULT_API_VERSION;
    // Azure routes by the deployment in the URL; `model` in the body is ignored, and sent as its SDK sends it.
    const body: Record<string, unknown> = { ...request, model: target.model };
    if (operation === 'chat') fitToVersion(body, apiVersion);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (target.apiKey) headers['api-key'] = target.apiKey.reveal();
    return {
      url: deploymentURL(target.baseURL, target.model, PATHS[operation], apiVersion),
      headers,
      body: JSON.stringify(body),
    };
  }

  translateResponse(operation: Operation, body: unknown): { body: unknown; usage: TokenUsage | undefined } {
    // `prompt_filter_results` and per-choice `content_filter_results` stay: extra fields OpenAI clients ignore.
    return this.#openai.translateResponse(operation, body);
  }

  createStreamTranslator(target: TargetEndpoint, options: TranslateOptions): StreamTranslator {
    return new AzureStreamTranslator(this.#openai.createStreamTranslator(target, options));
  }

  /** `GET {endpoint}/openai/models?api-version=…`: the resource's models, costs nothing. */
  probeRequest(target: TargetEndpoint): ProbeRequest {
    const root = target.baseURL.replace(/\/+$/, '').replace(/\/openai$/, '');
    const url = new URL(`${root}/openai/models`);
    url.searchParams.set('api-version', target.apiVersion ?? DEFAULT_API_VERSION);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (target.apiKey) headers['api-key'] = target.apiKey.reveal();
    return { url, headers };
  }

  unsupported(): string | undefined {
    return undefined;
  }

  parseError(status: number, bodyText: string): UpstreamErrorInfo {
    return parseAzureError(status, bodyText);
  }

  /**
   * OpenAI's `x-ratelimit-*` names; Azure sends resets as seconds, and -1 for a budget it does not meter, which
   * is read as not announced.
   */
  readRateLimits(header: HeaderLookup, now: number): RateLimitSnapshot | undefined {
    return this.#openai.readRateLimits((name) => {
      const value = header(name);
      return value !== undefined && Number(value) < 0 ? undefined : value;
    }, now);
  }
}

/**
 * Usage is always asked for in streams (for metrics and cost), where the version accepts `stream_options`; for
 * older versions the field is dropped, as the request would otherwise be refused, and such streams carry no usage.
 * `max_completion_tokens` becomes `max_tokens` for versions that predate it.
 */
function fitToVersion(body: Record<string, unknown>, apiVersion: string): void {
  const features = apiVersionFeatures(apiVersion);
  if (!features.streamUsage) delete body.stream_options;
  else if (body.stream === true) requestStreamUsage(body);
  if (!features.maxCompletionTokens && body.max_completion_tokens != null) {
    body.max_tokens ??= body.max_completion_tokens;
    delete body.max_completion_tokens;
  }
}
