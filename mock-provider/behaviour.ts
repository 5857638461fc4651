import { KEY_ECHOES, type KeyEcho } from './key-echo.ts';

/**
 * How a mock provider misbehaves. Settable at start, at runtime (`setBehaviour`) and by CLI flags.
 * `null` switches an optional knob off, so a partial update can clear it.
 */
export interface MockBehaviour {
  /** Delay before the response head, in ms. */
  latencyMs: number;
  /** Extra delay drawn uniformly from [0, latencyJitterMs). */
  latencyJitterMs: number;
  /** Fraction of requests answered 500 with a server error. */
  errorRate: number;
  /** Fraction of requests answered 429 "rate limit reached". */
  rateLimitRate: number;
  /** Wait announced on 429 answers, in seconds (fractions allowed). */
  retryAfterS: number;
  /** Answer every request 429 "insufficient quota" (a billing failure: retrying does not help). */
  insufficientQuota: boolean;
  /**
   * Provider model names the injected faults (insufficientQuota, rateLimitRate, errorRate, streamErrorAfterEvents)
   * apply to; the provider's other models answer normally. null: every model.
   */
  faultModels: string[] | null;
  /**
   * The model's context window in tokens: a request whose prompt (its text, at the mock's ~4 characters a token)
   * plus the output it asks for exceeds it is refused with the dialect's context-length error; null: no limit.
   */
  contextWindow: number | null;
  /** Number of content pieces a streamed reply is split into. */
  streamChunks: number;
  /** Pause between streamed events, in ms. */
  chunkIntervalMs: number;
  /** End the connection after this many SSE events, before the stream's end; null: never. */
  cutStreamAfterChunks: number | null;
  /** Stop writing a stream after this many SSE events but keep its connection open (a stall); null: never. */
  stallStreamAfterChunks: number | null;
  /** Fraction of streamed replies that `cutStreamAfterChunks` cuts (the others complete). */
  cutStreamRate: number;
  /**
   * End streamed replies with the dialect's mid-stream server error after this many SSE events, as the APIs do
   * when they fail mid-answer; null: never.
   */
  streamErrorAfterEvents: number | null;
  /** What the mid-stream error says: a server error, or that the account's quota is used up (OpenAI's 429 code). */
  streamErrorKind: 'server-error' | 'insufficient-quota';
  /**
   * Wording of server errors (injected by `errorRate` and mid-stream); null: the dialect's own. A quoted key
   * (`echoKey`) is added to it.
   */
  errorMessage: string | null;
  /** Accept requests and never answer (for timeout tests). */
  hang: boolean;
  /** Request limit per minute announced in rate-limit headers. */
  requestsPerMinute: number;
  /** Token limit per minute announced in rate-limit headers. */
  tokensPerMinute: number;
  /** Answer 429 once the minute's request or token limit is used up. */
  enforceRateLimits: boolean;
  /** Fixed reply text instead of the default echo; null: echo. */
  replyText: string | null;
  /**
   * End streams cleanly without the dialect's terminal event (`[DONE]`, `message_stop`) after the finish reason,
   * as several OpenAI-compatible servers do. Dialects without a terminal event (Gemini) are unchanged.
   */
  omitStreamEnd: boolean;
  /**
   * Quote the API key the request presented in server errors (injected and mid-stream): as sent, upper-cased,
   * masked (first 8 and last 6 characters around asterisks) or a 10-character fragment; null: never.
   */
  echoKey: KeyEcho | null;
  /**
   * OpenAI dialect: honour vLLM's `continue_final_message` (the answer continues the final assistant message;
   * `add_generation_prompt` must then be false). Off, the fields are refused with a 400 "Unrecognized request
   * argument supplied", as OpenAI refuses arguments it does not know.
   */
  continueFinalMessage: boolean;
  /**
   * Anthropic dialect: refuse a conversation ending with an assistant turn (assistant prefill) with a 400, as
   * models without prefill support do. Off, the answer continues the prefilled text.
   */
  rejectPrefill: boolean;
}

export const DEFAULT_BEHAVIOUR: Readonly<MockBehaviour> = Object.freeze({
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterS: 1,
  insufficientQuota: false,
  faultModels: null,
  contextWindow: null,
  streamChunks: 8,
  chunkIntervalMs: 0,
  cutStreamAfterChunks: null,
  stallStreamAfterChunks: null,
  cutStreamRate: 1,
  streamErrorAfterEvents: null,
  streamErrorKind: 'server-error',
  errorMessage: null,
  hang: false,
  requestsPerMinute: 10_000,
  tokensPerMinute: 2_000_000,
  enforceRateLimits: false,
  replyText: null,
  omitStreamEnd: false,
  echoKey: null,
  continueFinalMessage: false,
  rejectPrefill: false,
});

/** Returns `current` with `change` applied; throws a RangeError naming the first invalid knob. */
export function applyBehaviour(
  current: Readonly<MockBehaviour>,
  change: Partial<MockBehaviour>,
): MockBehaviour {
  const next: MockBehaviour = { ...current };
  for (const [key, value] of Object.entries(change)) {
    if (value !== undefined) Object.assign(next, { [key]: value });
  }
  assertAtLeast('latencyMs', next.latencyMs, 0);
  assertAtLeast('latencyJitterMs', next.latencyJitterMs, 0);
  assertFraction('errorRate', next.errorRate);
  assertFraction('rateLimitRate', next.rateLimitRate);
  assertAtLeast('retryAfterS', next.retryAfterS, 0);
  assertInteger('streamChunks', next.streamChunks, 1);
  assertAtLeast('chunkIntervalMs', next.chunkIntervalMs, 0);
  if (next.cutStreamAfterChunks !== null) assertInteger('cutStreamAfterChunks', next.cutStreamAfterChunks, 0);
  if (next.stallStreamAfterChunks !== null) {
    assertInteger('stallStreamAfterChunks', next.stallStreamAfterChunks, 0);
  }
  assertFraction('cutStreamRate', next.cutStreamRate);
  if (next.streamErrorAfterEvents !== null) {
    assertInteger('streamErrorAfterEvents', next.streamErrorAfterEvents, 0);
  }
  if (next.streamErrorKind !== 'server-error' && next.streamErrorKind !== 'insufficient-quota') {
    throw new RangeError('streamErrorKind must be server-error or insufficient-quota');
  }
  if (next.contextWindow !== null) assertInteger('contextWindow', next.contextWindow, 1);
  if (
    next.faultModels !== null &&
    !(Array.isArray(next.faultModels) && next.faultModels.every((m) => typeof m === 'string'))
  ) {
    throw new RangeError('faultModels must be a list of model names or null');
  }
  if (next.echoKey !== null && !KEY_ECHOES.includes(next.echoKey)) {
    throw new RangeError(`echoKey must be one of ${KEY_ECHOES.join(', ')} or null`);
  }
  assertInteger('requestsPerMinute', next.requestsPerMinute, 1);
  assertInteger('tokensPerMinute', next.tokensPerMinute, 1);
  for (const flag of [
    'insufficientQuota',
    'hang',
    'enforceRateLimits',
    'omitStreamEnd',
    'continueFinalMessage',
    'rejectPrefill',
  ] as const) {
    if (typeof next[flag] !== 'boolean') throw new RangeError(`${flag} must be true or false`);
  }
  for (const text of ['replyText', 'errorMessage'] as const) {
    if (next[text] !== null && typeof next[text] !== 'string') {
      throw new RangeError(`${text} must be a string or null`);
    }
  }
  return next;
}

function assertAtLeast(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a number >= ${min}, got ${String(value)}`);
  }
}

function assertFraction(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a fraction in [0, 1], got ${String(value)}`);
  }
}

function assertInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}
