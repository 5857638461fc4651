import type { ProviderType } from '../../../api/v1alpha1/providerpool.ts';
import { parseGoDuration } from '../../ratelimit/go-duration.ts';
import type {
  HeaderLookup,
  Operation,
  ProbeRequest,
  RateLimitBudget,
  RateLimitSnapshot,
  ProviderAdapter,
  StreamTranslator,
  TargetEndpoint,
  TokenUsage,
  TranslateOptions,
  UpstreamErrorInfo,
  UpstreamRequest,
} from '../adapter.ts';
import { isRecord, parseJson } from '../../../core/json.ts';
import { isContextLengthError, OpenAIStreamTranslator } from './openai-stream.ts';
import { readOpenAIUsage } from './openai-usage.ts';

const PATHS: Record<Operation, string> = { chat: 'chat/completions', embeddings: 'embeddings' };

/** Joins a base URL that ends in /v1 (as the OpenAI SDK takes it) with an API path. */
export function joinURL(baseURL: string, path: string): URL {
  const base = baseURL.endsWith('/') ? baseURL : `${baseURL}/`;
  return new URL(path, base);
}

/** Asks the upstream for a stream's usage chunk (for metrics and cost), keeping the app's other stream options. */
export function requestStreamUsage(body: Record<string, unknown>): void {
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  body.stream_options = { ...streamOptions, include_usage: true };
}

export class OpenAIAdapter implements ProviderAdapter {
  readonly dialect: ProviderType;
  readonly operations: ReadonlySet<Operation> = new Set<Operation>(['chat', 'embeddings']);
  /**
   * OpenAI answers a final assistant message with a new turn rather than continuing it; an OpenAI-compatible
   * server that can (vLLM's continue_final_message) says so with `continuation: continue-final-message`.
   */
  readonly continuation = 'none';

  /**
   * Each target's request URL per operation, parsed once: a target's endpoint lives as long as its pool runtime,
   * and parsing the URL again for every request was ~1.5 % of the sidecar's CPU under load. Nothing changes a
   * request's URL after it is built.
   */
  readonly #urls = new WeakMap<TargetEndpoint, Partial<Record<Operation, URL>>>();

  constructor(dialect: ProviderType = 'openai') {
    this.dialect = dialect;
  }

  buildRequest(
    operation: Operation,
    request: Readonly<Record<string, unknown>>,
    target: TargetEndpoint,
  ): UpstreamRequest {
    const body: Record<string, unknown> = { ...request, model: target.model };
    if (operation === 'chat' && body.stream === true) requestStreamUsage(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (target.apiKey) headers.authorization = `Bearer ${target.apiKey.reveal()}`;
    return { url: this.#url(target, operation), headers, body: JSON.stringify(body) };
  }

  #url(target: TargetEndpoint, operation: Operation): URL {
    let urls = this.#urls.get(target);
    if (urls === undefined) {
      urls = {};
      this.#urls.set(target, urls);
    }
    return (urls[operation] ??= joinURL(target.baseURL, PATHS[operation]));
  }

  translateResponse(_operation: Operation, body: unknown): { body: unknown; usage: TokenUsage | undefined } {
    return { body, usage: readOpenAIUsage(body) };
  }

  createStreamTranslator(_target: TargetEndpoint, options: TranslateOptions): StreamTranslator {
    return new OpenAIStreamTranslator(options);
  }

  parseError(status: number, bodyText: string): UpstreamErrorInfo {
    const parsed = parseJson(bodyText);
    // OpenAI's `{"error": {…}}`; some OpenAI-compatible servers (older vLLM) send the same fields bare.
    const error = !isRecord(parsed)
      ? undefined
      : isRecord(parsed.error)
        ? parsed.error
        : typeof parsed.message === 'string'
          ? parsed
          : undefined;
    const message = typeof error?.message === 'string' ? error.message : `upstream answered HTTP ${status}`;
    const code =
      typeof error?.code === 'string' ? error.code : typeof error?.type === 'string' ? error.type : null;
    if (code === 'insufficient_quota') return { message, code, quotaExhausted: true };
    if (isContextLengthError(code, message)) return { message, code, contextLengthExceeded: true };
    return { message, code };
  }

  /** `GET {baseURL}/models`: lists models, costs nothing. */
  probeRequest(target: TargetEndpoint): ProbeRequest {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (target.apiKey) headers.authorization = `Bearer ${target.apiKey.reveal()}`;
    return { url: joinURL(target.baseURL, 'models'), headers };
  }

  unsupported(): string | undefined {
    return undefined; // the OpenAI dialect is the sidecar's own API: everything passes through
  }

  readRateLimits(header: HeaderLookup, now: number): RateLimitSnapshot | undefined {
    const requests = readBudget(header, 'requests', now);
    const tokens = readBudget(header, 'tokens', now);
    if (!requests && !tokens) return undefined;
    return { ...(requests && { requests }), ...(tokens && { tokens }) };
  }
}

/** The header names of each budget, built once rather than on every answer. */
const BUDGET_HEADERS = {
  requests: budgetHeaders('requests'),
  tokens: budgetHeaders('tokens'),
};

function budgetHeaders(kind: 'requests' | 'tokens'): { remaining: string; limit: string; reset: string } {
  return {
    remaining: `x-ratelimit-remaining-${kind}`,
    limit: `x-ratelimit-limit-${kind}`,
    reset: `x-ratelimit-reset-${kind}`,
  };
}

/**
 * `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as Go durations ("6m0s"): the time until the
 * budget is back to its full limit, read as `fullAt`.
 */
function readBudget(
  header: HeaderLookup,
  kind: 'requests' | 'tokens',
  now: number,
): RateLimitBudget | undefined {
  const names = BUDGET_HEADERS[kind];
  const remaining = Number(header(names.remaining) ?? Number.NaN);
  if (!Number.isFinite(remaining)) return undefined;
  const limit = Number(header(names.limit) ?? Number.NaN);
  const resetMs = parseGoDuration(header(names.reset));
  return {
    remaining,
    limit: Number.isFinite(limit) ? limit : undefined,
    fullAt: resetMs === undefined ? undefined : now + resetMs,
  };
}
