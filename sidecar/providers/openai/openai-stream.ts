/**
 * OpenAI's chat stream, passed through: chunks go to the client as the bytes they were, except that usage is
 * always requested upstream (for metrics and cost) and the usage-only chunk is withheld from clients that did not
 * ask for it. A chunk is parsed only when it may matter: while the answer has not started (is this chunk a role-only
 * opener or content?), when it carries a non-null `finish_reason` (once per choice), usage, or an `"error"` member.
 *
 * `data: {"error": …}` (OpenAI, vLLM, LiteLLM and others report failures after the 200 head this way) is thrown as
 * an `UpstreamStreamError` with the HTTP status it stands for, so it is judged like that HTTP answer.
 */
import { UpstreamStreamError } from '../../core/errors.ts';
import { isRecord, numberOf, recordsIn, stringOf } from '../../../core/json.ts';
import type { StreamTranslator, TokenUsage, TranslateOptions, UpstreamEvent } from '../adapter.ts';
import { readOpenAIUsage } from './openai-usage.ts';

export class OpenAIStreamTranslator implements StreamTranslator {
  finished = false;
  answering = false;
  usage: TokenUsage | undefined;
  readonly #clientWantsUsage: boolean;
  readonly #choices: number;
  /** Indexes of the choices whose finish reason was seen. */
  readonly #done = new Set<number>();

  constructor(options: TranslateOptions) {
    this.#clientWantsUsage = options.clientWantsUsage;
    this.#choices = Math.max(1, options.choices ?? 1);
  }

  get complete(): boolean {
    return this.finished || this.#done.size >= this.#choices;
  }

  closeComplete(): readonly string[] {
    this.finished = true;
    return ['[DONE]'];
  }

  onEvent(event: UpstreamEvent): readonly string[] {
    const data = event.data;
    if (data === '[DONE]') {
      this.finished = true;
      return ['[DONE]'];
    }
    const finishing = hasFinishReason(data);
    const withUsage = data.includes('"usage":{');
    // Text inside a JSON string has its quotes escaped: an unescaped `"error"` is a member name (or a bare value).
    if (!finishing && !withUsage && this.answering && !data.includes('"error"')) return [data];
    const chunk: unknown = JSON.parse(data);
    if (!isRecord(chunk)) return [data];
    if (isRecord(chunk.error)) throw streamError(chunk.error);
    const choices = recordsIn(chunk.choices);
    if (!this.answering) this.answering = choices.some(carriesAnswer);
    if (finishing) {
      for (const c of choices) if (c.finish_reason != null) this.#done.add(numberOf(c.index) ?? 0);
    }
    if (withUsage) {
      const usage = readOpenAIUsage(chunk);
      if (usage) {
        this.usage = usage;
        if (Array.isArray(chunk.choices) && chunk.choices.length === 0 && !this.#clientWantsUsage) return [];
      }
    }
    return [data];
  }
}

/** A `"finish_reason"` member whose value is not null, found without parsing (compact or spaced JSON). */
function hasFinishReason(data: string): boolean {
  const key = '"finish_reason"';
  let at = data.indexOf(key);
  while (at !== -1) {
    let i = at + key.length;
    while (data[i] === ' ' || data[i] === ':') i++;
    if (data[i] !== 'n') return true;
    at = data.indexOf(key, i);
  }
  return false;
}

/** Content, a refusal, a tool or function call, or a finish reason: a choice that is more than a role opener. */
function carriesAnswer(choice: Record<string, unknown>): boolean {
  if (choice.finish_reason != null) return true;
  const delta = isRecord(choice.delta) ? choice.delta : undefined;
  if (delta === undefined) return false;
  if ((stringOf(delta.content) ?? '') !== '' || (stringOf(delta.refusal) ?? '') !== '') return true;
  return (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) || isRecord(delta.function_call);
}

/** Error types and codes OpenAI-compatible servers use, as the HTTP status they stand for. */
const STATUS_BY_NAME: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  BadRequestError: 400,
  context_length_exceeded: 400,
  content_filter: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  server_error: 500,
  api_error: 500,
  internal_error: 500,
  overloaded_error: 503,
  service_unavailable: 503,
};

/** The HTTP status an in-stream error stands for: a numeric code if it is one, else its code or type by name. */
export function streamErrorStatus(error: Record<string, unknown>): number {
  const numeric = numberOf(error.code) ?? numberOf(Number(stringOf(error.code) ?? Number.NaN));
  if (numeric !== undefined && numeric >= 400 && numeric < 600) return numeric;
  for (const name of [stringOf(error.code), stringOf(error.type)]) {
    const status = name === undefined ? undefined : STATUS_BY_NAME[name];
    if (status !== undefined) return status;
  }
  return 502; // an unnamed failure after the 200 head: the provider's, as a bad gateway
}

/**
 * OpenAI's code for a request longer than the model's window; OpenAI-compatible servers (vLLM and others) send the
 * same sentence ("This model's maximum context length is 4096 tokens. However, you requested …") without it.
 */
const CONTEXT_LENGTH_MESSAGE = /maximum context length is \d+ tokens/i;

export function isContextLengthError(code: string | null | undefined, message: string): boolean {
  return code === 'context_length_exceeded' || CONTEXT_LENGTH_MESSAGE.test(message);
}

function streamError(error: Record<string, unknown>): UpstreamStreamError {
  const status = streamErrorStatus(error);
  const code = stringOf(error.code) ?? stringOf(error.type) ?? 'stream_error';
  const text = stringOf(error.message) ?? code;
  const message = `provider reported an error mid-stream: ${text}`;
  const named = [stringOf(error.code), stringOf(error.type)];
  return new UpstreamStreamError(message, code, {
    status,
    retryable: status === 408 || status === 429 || status >= 500,
    quotaExhausted: named.includes('insufficient_quota'),
    contextLengthExceeded: isContextLengthError(stringOf(error.code), text),
  });
}
