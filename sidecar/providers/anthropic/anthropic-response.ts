/**
 * Anthropic `message` → OpenAI `chat.completion`. Text blocks join into `content`, `tool_use` blocks become
 * `tool_calls` (input serialized as JSON arguments), the JSON-mode tool's input becomes `content`; thinking
 * blocks are not passed on (the Chat Completions shape has no field for them).
 */
import type { TokenUsage } from '../adapter.ts';
import { STRUCTURED_OUTPUT_TOOL } from './convert-tools.ts';
import { finishReason } from './finish-reason.ts';
import { readUsage, toOpenAIUsage, toTokenUsage } from './anthropic-usage.ts';
import { isRecord, recordsIn, stringOf } from '../../../core/json.ts';

export interface OpenAIToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export function translateMessage(
  body: unknown,
  createdSeconds: number,
): { body: Record<string, unknown>; usage: TokenUsage | undefined } {
  const message = isRecord(body) ? body : {};
  const blocks = recordsIn(message.content);
  let text = '';
  let answeredInJson = false;
  const toolCalls: OpenAIToolCall[] = [];
  for (const block of blocks) {
    if (block.type === 'text') text += stringOf(block.text) ?? '';
    if (block.type !== 'tool_use') continue;
    const name = stringOf(block.name) ?? '';
    const args = JSON.stringify(isRecord(block.input) ? block.input : {});
    if (name === STRUCTURED_OUTPUT_TOOL) {
      text += args;
      answeredInJson = true;
    } else {
      toolCalls.push({
        id: stringOf(block.id) ?? '',
        type: 'function',
        function: { name, arguments: args },
      });
    }
  }
  const counts = readUsage(message.usage);
  const reported = isRecord(message.usage);
  return {
    body: {
      id: stringOf(message.id) ?? '',
      object: 'chat.completion',
      created: createdSeconds,
      model: stringOf(message.model) ?? '',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text === '' && toolCalls.length > 0 ? null : text,
            refusal: null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: finishReason(message.stop_reason, answeredInJson),
        },
      ],
      ...(reported ? { usage: toOpenAIUsage(counts) } : {}),
    },
    usage: reported ? toTokenUsage(counts) : undefined,
  };
}
