/** Anthropic usage → the sidecar's token counts and OpenAI's `usage` object. */
import type { TokenUsage } from '../adapter.ts';
import { isRecord, numberOf } from '../../../core/json.ts';

/** Token counts as read from a `usage` object; absent counts are 0. */
export interface UsageCounts {
  readonly input: number;
  readonly output: number;
  readonly cacheCreation: number;
  readonly cacheRead: number;
}

export const NO_USAGE: UsageCounts = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };

/** Reads the counts a `usage` object carries over `previous` (stream events report cumulative counts). */
export function readUsage(usage: unknown, previous: UsageCounts = NO_USAGE): UsageCounts {
  if (!isRecord(usage)) return previous;
  return {
    input: numberOf(usage.input_tokens) ?? previous.input,
    output: numberOf(usage.output_tokens) ?? previous.output,
    cacheCreation: numberOf(usage.cache_creation_input_tokens) ?? previous.cacheCreation,
    cacheRead: numberOf(usage.cache_read_input_tokens) ?? previous.cacheRead,
  };
}

/**
 * Anthropic counts cached prompt tokens apart from `input_tokens`; OpenAI's `prompt_tokens` includes them.
 * Both cache writes and reads are prompt tokens, so both are added.
 */
export function promptTokens(counts: UsageCounts): number {
  return counts.input + counts.cacheCreation + counts.cacheRead;
}

export function toTokenUsage(counts: UsageCounts): TokenUsage {
  return { inputTokens: promptTokens(counts), outputTokens: counts.output };
}

export function toOpenAIUsage(counts: UsageCounts): Record<string, unknown> {
  const prompt = promptTokens(counts);
  return {
    prompt_tokens: prompt,
    completion_tokens: counts.output,
    total_tokens: prompt + counts.output,
    prompt_tokens_details: { cached_tokens: counts.cacheRead },
  };
}
