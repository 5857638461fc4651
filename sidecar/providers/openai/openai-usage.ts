import { isRecord } from '../../../core/json.ts';
import type { TokenUsage } from '../adapter.ts';

/** OpenAI's `usage` (prompt and completion tokens) of an answer or of a stream's usage chunk. */
export function readOpenAIUsage(body: unknown): TokenUsage | undefined {
  if (!isRecord(body) || !isRecord(body.usage)) return undefined;
  const { prompt_tokens: input, completion_tokens: output } = body.usage;
  if (typeof input !== 'number') return undefined;
  return { inputTokens: input, outputTokens: typeof output === 'number' ? output : 0 };
}
