/**
 * Gemini's `streamGenerateContent?alt=sse` → OpenAI `chat.completion.chunk` payloads.
 *
 * Each `data:` event is a whole GenerateContentResponse holding the next piece of each candidate. Gemini sends no
 * end marker: a candidate is done when a chunk carries its `finishReason`, and the stream is done (`finished`)
 * once every candidate seen has one, which is when the finish chunks, the usage chunk (if the client asked) and
 * `[DONE]` are sent. A body that ends before that is a cut stream. Usage is cumulative in Gemini's chunks, so the
 * latest `usageMetadata` is the total. Function calls arrive whole, each sent as one tool-call delta.
 */
import { UpstreamStreamError } from '../../core/errors.ts';
import type {
  StreamTranslator,
  TargetEndpoint,
  TokenUsage,
  TranslateOptions,
  UpstreamEvent,
} from '../adapter.ts';
import { googleErrorStatus, isGeminiContextLengthError } from './gemini-errors.ts';
import {
  blockedPromptRefusal,
  completionId,
  modelVersion,
  openAIFinishReason,
  promptBlockReason,
  readCandidates,
  readUsage,
  tokenUsage,
  type CandidateReading,
  type OpenAIFinishReason,
  type OpenAIUsage,
} from './read-gemini.ts';
import { isRecord, numberOf, stringOf } from '../../../core/json.ts';

interface ChoiceState {
  toolCalls: number;
  done: boolean;
}

export class GeminiStreamTranslator implements StreamTranslator {
  finished = false;
  answering = false;
  #usage: OpenAIUsage | undefined;
  readonly #target: TargetEndpoint;
  readonly #clientWantsUsage: boolean;
  readonly #created: number;
  readonly #choices = new Map<number, ChoiceState>();
  #id: string | undefined;
  #model: string | undefined;

  constructor(target: TargetEndpoint, options: TranslateOptions, nowSeconds: number) {
    this.#target = target;
    this.#clientWantsUsage = options.clientWantsUsage;
    this.#created = nowSeconds;
  }

  get usage(): TokenUsage | undefined {
    return tokenUsage(this.#usage);
  }

  /** Gemini has no end marker: the stream is finished the moment the answer is complete. */
  get complete(): boolean {
    return this.finished;
  }

  closeComplete(): readonly string[] {
    return [];
  }

  onEvent(event: UpstreamEvent): readonly string[] {
    const chunk: unknown = JSON.parse(event.data);
    if (isRecord(chunk) && isRecord(chunk.error)) throw streamError(chunk.error);
    this.#usage = readUsage(chunk) ?? this.#usage;
    if (this.finished) return [];
    this.#id ??= completionId(chunk);
    this.#model ??= modelVersion(chunk);
    const out: string[] = [];
    const candidates = readCandidates(chunk);
    const blocked = promptBlockReason(chunk);
    if (candidates.length === 0 && blocked !== undefined) {
      const refusal = blockedPromptRefusal(blocked);
      this.answering = true;
      out.push(this.#chunk(0, { role: 'assistant', content: null, refusal }, null));
      out.push(this.#chunk(0, {}, 'content_filter'));
      this.#choices.set(0, { toolCalls: 0, done: true });
    }
    for (const candidate of candidates) out.push(...this.#candidate(candidate));
    if (this.#allDone()) out.push(...this.#end());
    return out;
  }

  /** Every candidate seen so far has its finishReason (and at least one was seen). */
  #allDone(): boolean {
    if (this.#choices.size === 0) return false;
    for (const choice of this.#choices.values()) if (!choice.done) return false;
    return true;
  }

  #candidate(candidate: CandidateReading): string[] {
    const { index } = candidate;
    let state = this.#choices.get(index);
    const out: string[] = [];
    if (state === undefined) {
      state = { toolCalls: 0, done: false };
      this.#choices.set(index, state);
      out.push(this.#chunk(index, { role: 'assistant', content: '' }, null));
    }
    if (state.done) return out;
    if (candidate.text !== '' || candidate.toolCalls.length > 0 || candidate.finishReason !== undefined) {
      this.answering = true;
    }
    if (candidate.text !== '') out.push(this.#chunk(index, { content: candidate.text }, null));
    for (const call of candidate.toolCalls) {
      out.push(this.#chunk(index, { tool_calls: [{ index: state.toolCalls, ...call }] }, null));
      state.toolCalls += 1;
    }
    if (candidate.finishReason !== undefined) {
      state.done = true;
      out.push(this.#chunk(index, {}, openAIFinishReason(candidate.finishReason, state.toolCalls > 0)));
    }
    return out;
  }

  #end(): string[] {
    this.finished = true;
    const out: string[] = [];
    if (this.#clientWantsUsage && this.#usage) out.push(this.#payload([], this.#usage));
    out.push('[DONE]');
    return out;
  }

  #chunk(index: number, delta: object, finishReason: OpenAIFinishReason | null): string {
    return this.#payload([{ index, delta, logprobs: null, finish_reason: finishReason }]);
  }

  #payload(choices: object[], usage?: OpenAIUsage): string {
    return JSON.stringify({
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model ?? this.#target.model,
      choices,
      ...(usage && { usage }),
    });
  }
}

/** An error object sent inside the stream, after the 200 head. */
function streamError(error: Record<string, unknown>): UpstreamStreamError {
  const status = googleErrorStatus(numberOf(error.code), stringOf(error.status));
  const code = stringOf(error.status) ?? 'stream_error';
  const message = `provider reported an error mid-stream: ${stringOf(error.message) ?? code}`;
  return new UpstreamStreamError(message, code, {
    status,
    retryable: status === 429 || status >= 500,
    contextLengthExceeded: isGeminiContextLengthError(status, stringOf(error.message) ?? ''),
  });
}
