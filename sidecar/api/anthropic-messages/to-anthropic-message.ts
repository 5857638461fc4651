/**
 * The sidecar's OpenAI-shaped answers → Anthropic's: a `chat.completion` becomes a `message`, finish reasons
 * become stop reasons, usage is split the way Anthropic counts it.
 */
import type {
  AnthropicMessage,
  AnthropicResponseBlock,
  AnthropicStopReason,
  AnthropicUsage,
} from '../../providers/anthropic/anthropic-types.ts';
import { isRecord, numberOf, recordsIn } from '../../../core/json.ts';

const STOP_REASONS: Readonly<Record<string, AnthropicStopReason>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

/**
 * OpenAI does not say which stop sequence ended an answer, so a stop is always `end_turn` (never
 * `stop_sequence`); an unknown reason is read as a normal end.
 */
export function stopReason(finishReason: unknown): AnthropicStopReason {
  return (typeof finishReason === 'string' ? STOP_REASONS[finishReason] : undefined) ?? 'end_turn';
}

/**
 * OpenAI's `prompt_tokens` includes cached tokens; Anthropic's `input_tokens` does not, and reports cache reads
 * apart. OpenAI does not report cache writes, so they stay in `input_tokens`.
 */
export function anthropicUsage(usage: unknown): AnthropicUsage {
  if (!isRecord(usage)) return { input_tokens: 0, output_tokens: 0 };
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cached = numberOf(details.cached_tokens) ?? 0;
  return {
    input_tokens: Math.max(0, (numberOf(usage.prompt_tokens) ?? 0) - cached),
    output_tokens: numberOf(usage.completion_tokens) ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** Anthropic message ids start with `msg_`; the upstream's id is kept after it so logs can be matched. */
export function messageId(upstreamId: unknown): string {
  const id = typeof upstreamId === 'string' && upstreamId !== '' ? upstreamId : 'unknown';
  return id.startsWith('msg_') ? id : `msg_${id.replace(/^chatcmpl-/, '')}`;
}

/** Tool arguments are JSON text in OpenAI and an object in Anthropic; text that is no object is kept under `_raw`. */
export function toolInput(args: unknown): Record<string, unknown> {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    return isRecord(parsed) ? parsed : { _raw: args };
  } catch {
    return { _raw: args };
  }
}

export function toAnthropicMessage(body: unknown): AnthropicMessage {
  const completion = isRecord(body) ? body : {};
  const choices = Array.isArray(completion.choices) ? completion.choices : [];
  const choice: unknown = choices[0];
  const message = isRecord(choice) && isRecord(choice.message) ? choice.message : {};
  const content: AnthropicResponseBlock[] = [];
  const text = typeof message.content === 'string' ? message.content : '';
  const refusal = typeof message.refusal === 'string' ? message.refusal : '';
  if (text !== '' || refusal !== '') content.push({ type: 'text', text: text || refusal });
  const toolCalls = recordsIn(message.tool_calls);
  for (const call of toolCalls) {
    const fn = isRecord(call.function) ? call.function : {};
    content.push({
      type: 'tool_use',
      id: typeof call.id === 'string' ? call.id : '',
      name: typeof fn.name === 'string' ? fn.name : '',
      input: toolInput(fn.arguments),
    });
  }
  return {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: typeof completion.model === 'string' ? completion.model : '',
    content,
    stop_reason: stopReason(isRecord(choice) ? choice.finish_reason : undefined),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  };
}
