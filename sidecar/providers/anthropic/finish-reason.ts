/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

const FINISH_REASONS: Readonly<Record<string, OpenAIFinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  // A server tool's long turn paused; what came so far is a complete answer to pass on.
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/**
 * `answeredInJson`: the tool call was the JSON-mode tool, whose input is the answer, so the turn ended
 * normally from the app's point of view.
 */
export function finishReason(stopReason: unknown, answeredInJson: boolean): OpenAIFinishReason {
  const mapped = typeof stopReason === 'string' ? FINISH_REASONS[stopReason] : undefined;
  if (mapped === 'tool_calls' && answeredInJson) return 'stop';
  return mapped ?? 'stop';
}
