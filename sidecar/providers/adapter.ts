import type { ContinuationMode, ProviderType } from '../../api/v1alpha1/providerpool.ts';
import type { Secret } from '../core/secret.ts';

/** The OpenAI-shaped operations an app can call; each adapter says which it can serve. */
export type Operation = 'chat' | 'embeddings';

/** A provider model as one target of the pool: where to send, as what model, with which key. */
export interface TargetEndpoint {
  readonly baseURL: string;
  readonly model: string;
  readonly apiKey: Secret | undefined;
  readonly maxOutputTokens: number | undefined;
  /** The provider's `apiVersion`, for dialects that send one. */
  readonly apiVersion: string | undefined;
}

export interface UpstreamRequest {
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A free GET that shows whether the provider answers (listing or reading models), for active health probes. */
export interface ProbeRequest {
  readonly url: URL;
  readonly headers: Record<string, string>;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** An SSE event as the parser hands it over. */
export interface UpstreamEvent {
  readonly event?: string;
  readonly data: string;
}

/**
 * Turns a provider's stream into OpenAI `chat.completion.chunk` SSE data payloads, one upstream event at a time.
 * A translator knows when its dialect's answer is complete and when its stream has ended properly; a body that
 * ends before the answer is complete is a cut stream. Generic code asks these questions, never the dialect's name.
 */
export interface StreamTranslator {
  /**
   * Data payloads (without `data: ` framing) to send to the client for this upstream event, in order. An error
   * the provider reports inside the stream (an error event, an OpenAI `{"error": …}` frame) is thrown as an
   * `UpstreamStreamError` (sidecar/core/errors.ts), never passed on as content.
   */
  onEvent(event: UpstreamEvent): readonly string[];
  /** True once the dialect's terminal event arrived (`[DONE]`, `message_stop`, …). */
  readonly finished: boolean;
  /**
   * True once the answer is complete: every choice has its finish reason. A body that ends cleanly then is a
   * complete answer even without the terminal event (several OpenAI-compatible servers omit `[DONE]`).
   */
  readonly complete: boolean;
  /**
   * True once a payload carried part of the answer (content, a tool call, a refusal or a finish reason). Payloads
   * before it (a role-only first chunk) may be held back, so a failure before the answer starts can still be
   * retried on another target, and the first token is what a time-to-first-token deadline waits for.
   */
  readonly answering: boolean;
  /**
   * The payloads that end a complete answer whose terminal event never came (the usage chunk the client asked
   * for, then `[DONE]`). Called at most once, when the body ended with `complete && !finished`.
   */
  closeComplete(): readonly string[];
  /** Usage as reported by the provider, once known. */
  readonly usage: TokenUsage | undefined;
}

export interface UpstreamErrorInfo {
  readonly message: string;
  readonly code: string | null;
  /**
   * The account's quota or credit is used up (OpenAI `insufficient_quota`): not a transient overload, so the
   * provider is cooled down for long instead of for the Retry-After of a rate limit; other providers may serve.
   */
  readonly quotaExhausted?: boolean;
  /**
   * The used-up quota is one model's alone (Gemini's per-model daily quotas): only this (provider, model) target
   * cools down for long; the provider's other models keep serving. Meaningful with `quotaExhausted` only.
   */
  readonly quotaOfModelOnly?: boolean;
  /**
   * The request is too long for the model's context window (OpenAI's `context_length_exceeded`, Anthropic's
   * "prompt is too long", Gemini's "input token count … exceeds the maximum"): the request's fault for this target
   * only, never the provider's; a target with a larger window may serve it. Each adapter reads its own dialect.
   */
  readonly contextLengthExceeded?: boolean;
  /** A wait the provider asked for in the error body (e.g. Gemini's RetryInfo.retryDelay), in ms. */
  readonly retryAfterMs?: number;
  /**
   * The HTTP status this error stands for when the provider's own misleads (Gemini answers a bad API key with
   * 400 API_KEY_INVALID, a credential fault like 401); retry, breaker and the client's status follow it.
   */
  readonly status?: number;
}

/**
 * One budget of a provider's rate limit as its response headers announce it. Providers refill budgets
 * continuously: their "reset" (OpenAI's `x-ratelimit-reset-*`, Anthropic's `anthropic-ratelimit-*-reset`) says
 * when the budget is *full* again, not when it has room again. sidecar/ratelimit/provider-rate-limits.ts is the
 * one place that reads this into routing decisions.
 */
export interface RateLimitBudget {
  readonly remaining: number;
  readonly limit: number | undefined;
  /** When the budget is full again (epoch ms on the clock's timeline); undefined when not announced. */
  readonly fullAt: number | undefined;
}

/** What a response's rate-limit headers say; each budget is absent when the dialect does not announce it. */
export interface RateLimitSnapshot {
  readonly requests?: RateLimitBudget;
  readonly tokens?: RateLimitBudget;
}

/** Reads one response header by lower-case name. */
export type HeaderLookup = (name: string) => string | undefined;

export interface TranslateOptions {
  /** The client asked for a final usage chunk (`stream_options.include_usage`). */
  readonly clientWantsUsage: boolean;
  /** Choices the request asked for (`n`); the answer is complete once each has its finish reason. Default 1. */
  readonly choices?: number;
}

/** One wire dialect. Generic code looks adapters up by `spec.providers[].type`, never by name. */
export interface ProviderAdapter {
  readonly dialect: ProviderType;
  readonly operations: ReadonlySet<Operation>;
  /**
   * How the dialect continues an assistant message cut mid-stream, when the pool says `continuation: auto`
   * (sidecar/proxy/continuation/): its request carries the partial answer as the last assistant turn.
   */
  readonly continuation: ContinuationMode;
  buildRequest(
    operation: Operation,
    request: Readonly<Record<string, unknown>>,
    target: TargetEndpoint,
  ): UpstreamRequest;
  /** Non-streaming answer → OpenAI-shaped body, with usage when the provider reported it. */
  translateResponse(
    operation: Operation,
    body: unknown,
    target: TargetEndpoint,
    /** The app's request, for answers shaped by it (e.g. embeddings' `encoding_format`). */
    request: Readonly<Record<string, unknown>>,
  ): { body: unknown; usage: TokenUsage | undefined };
  createStreamTranslator(target: TargetEndpoint, options: TranslateOptions): StreamTranslator;
  /**
   * Why this target cannot serve `request` (a feature the dialect lacks), or undefined when it can. Targets that
   * cannot are skipped; when none can, the app gets a 400 with the reasons.
   */
  unsupported(operation: Operation, request: Readonly<Record<string, unknown>>): string | undefined;
  /** Reads a provider error body (any shape) into a message and code fit to pass on. */
  parseError(status: number, bodyText: string): UpstreamErrorInfo;
  /** Reads the rate-limit headers of any response, so load can shift away before the provider answers 429. */
  readRateLimits(header: HeaderLookup, now: number): RateLimitSnapshot | undefined;
  /** The dialect's free request for active health probes of a provider whose breaker is open (no tokens spent). */
  probeRequest(target: TargetEndpoint): ProbeRequest;
}
