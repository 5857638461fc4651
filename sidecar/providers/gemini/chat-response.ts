/**
 * A whole GenerateContentResponse → an OpenAI `chat.completion`.
 * A prompt Gemini refuses outright (`promptFeedback.blockReason`, no candidates) is answered as OpenAI answers
 * filtered output: a choice with `finish_reason: "content_filter"`, no content and the reason as `refusal`. The
 * provider did its job, so this is no failure to retry elsewhere; the app decides what a refusal means.
 */
import { UpstreamStreamError } from '../../core/errors.ts';
import type { TargetEndpoint, TokenUsage } from '../adapter.ts';
import {
  blockedPromptRefusal,
  completionId,
  modelVersion,
  openAIFinishReason,
  promptBlockReason,
  readCandidates,
  readUsage,
  tokenUsage,
  type OpenAIFinishReason,
  type OpenAIToolCall,
} from './read-gemini.ts';

interface ChatChoice {
  index: number;
  message: {
    role: 'assistant';
    content: string | null;
    refusal: string | null;
    tool_calls?: OpenAIToolCall[];
    annotations: [];
  };
  logprobs: null;
  finish_reason: OpenAIFinishReason;
}

export function translateChatResponse(
  body: unknown,
  target: TargetEndpoint,
  nowSeconds: number,
): { body: unknown; usage: TokenUsage | undefined } {
  const usage = readUsage(body);
  const choices = readChoices(body);
  const completion = {
    id: completionId(body),
    object: 'chat.completion',
    created: nowSeconds,
    model: modelVersion(body) ?? target.model,
    choices,
    ...(usage && { usage }),
  };
  return { body: completion, usage: tokenUsage(usage) };
}

function readChoices(body: unknown): ChatChoice[] {
  const candidates = readCandidates(body);
  if (candidates.length === 0) {
    const blocked = promptBlockReason(body);
    if (blocked === undefined) {
      throw new UpstreamStreamError('the provider answered without any candidate', 'empty_response');
    }
    return [choice(0, null, blockedPromptRefusal(blocked), [], 'content_filter')];
  }
  return candidates
    .map((c) =>
      choice(
        c.index,
        c.text === '' && c.toolCalls.length > 0 ? null : c.text,
        null,
        c.toolCalls,
        openAIFinishReason(c.finishReason ?? 'STOP', c.toolCalls.length > 0),
      ),
    )
    .sort((a, b) => a.index - b.index);
}

function choice(
  index: number,
  content: string | null,
  refusal: string | null,
  toolCalls: OpenAIToolCall[],
  finishReason: OpenAIFinishReason,
): ChatChoice {
  return {
    index,
    message: {
      role: 'assistant',
      content,
      refusal,
      ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
      annotations: [],
    },
    logprobs: null,
    finish_reason: finishReason,
  };
}
