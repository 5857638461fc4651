/**
 * Reading Gemini answers (GenerateContentResponse, whole or as stream chunks) into what OpenAI answers carry:
 * per candidate the text, the function calls and the finish reason; usage in OpenAI form.
 */
import { randomUUID } from 'node:crypto';
import type { TokenUsage } from '../adapter.ts';
import { isRecord, numberOf, recordsIn, stringOf } from '../../../core/json.ts';

export type OpenAIFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export interface OpenAIToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface CandidateReading {
  /** Choice index (proto3 leaves out index 0). */
  readonly index: number;
  /** Text of the answer, thoughts left out; '' when there is none. */
  readonly text: string;
  readonly toolCalls: OpenAIToolCall[];
  /** Gemini's finish reason, when this candidate is done. */
  readonly finishReason: string | undefined;
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/** Filtered output: OpenAI's `content_filter`. */
const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * Gemini finish reason → OpenAI's. A turn that called functions ends `tool_calls`, as OpenAI's do. Reasons with no
 * OpenAI counterpart (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, …) end as `stop`: the answer is what it is.
 */
export function openAIFinishReason(reason: string, calledTools: boolean): OpenAIFinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

export function newToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '')}`;
}

export function readCandidates(body: unknown): CandidateReading[] {
  if (!isRecord(body)) return [];
  return recordsIn(body.candidates).map((candidate) => {
    const content = isRecord(candidate.content) ? candidate.content : {};
    let text = '';
    const toolCalls: OpenAIToolCall[] = [];
    for (const part of recordsIn(content.parts)) {
      if (part.thought === true) continue;
      const partText = stringOf(part.text);
      if (partText !== undefined) text += partText;
      if (isRecord(part.functionCall)) {
        const call = part.functionCall;
        toolCalls.push({
          id: stringOf(call.id) ?? newToolCallId(),
          type: 'function',
          function: {
            name: stringOf(call.name) ?? '',
            arguments: JSON.stringify(isRecord(call.args) ? call.args : {}),
          },
        });
      }
    }
    return {
      index: numberOf(candidate.index) ?? 0,
      text,
      toolCalls,
      finishReason: stringOf(candidate.finishReason),
    };
  });
}

/** Why the prompt itself was refused (no candidates at all), when it was. */
export function promptBlockReason(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.promptFeedback)) return undefined;
  return stringOf(body.promptFeedback.blockReason);
}

export function blockedPromptRefusal(reason: string): string {
  return `The provider refused the prompt (blockReason ${reason}).`;
}

/**
 * `usageMetadata` → OpenAI usage. Thinking tokens are output the account pays for, so they count as completion
 * tokens (as OpenAI's reasoning tokens do); tokens of tool-use prompts count as prompt tokens.
 */
export function readUsage(body: unknown): OpenAIUsage | undefined {
  if (!isRecord(body) || !isRecord(body.usageMetadata)) return undefined;
  const meta = body.usageMetadata;
  const prompt = (numberOf(meta.promptTokenCount) ?? 0) + (numberOf(meta.toolUsePromptTokenCount) ?? 0);
  const thoughts = numberOf(meta.thoughtsTokenCount) ?? 0;
  const completion = (numberOf(meta.candidatesTokenCount) ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: numberOf(meta.cachedContentTokenCount) ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

export function tokenUsage(usage: OpenAIUsage | undefined): TokenUsage | undefined {
  return usage && { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
}

/** The completion id: Gemini's response id when it sent one. */
export function completionId(body: unknown): string {
  const responseId = isRecord(body) ? stringOf(body.responseId) : undefined;
  return `chatcmpl-${responseId ?? randomUUID().replaceAll('-', '')}`;
}

export function modelVersion(body: unknown): string | undefined {
  return isRecord(body) ? stringOf(body.modelVersion) : undefined;
}
