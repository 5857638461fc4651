/**
 * OpenAI chat messages → Anthropic `system` plus alternating user/assistant turns. System and developer
 * messages, wherever they stand, become the top-level system prompt (Anthropic has no system role); tool
 * results become user `tool_result` blocks; consecutive messages of one role merge into one turn, as the API
 * requires strict alternation.
 */
import type {
  AnthropicMessageParam,
  AnthropicRequestBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from './anthropic-types.ts';
import { textBlocks, textOf, userBlocks } from './convert-content.ts';
import { Untranslatable } from './untranslatable.ts';
import { isRecord, stringOf } from '../../../core/json.ts';

export interface ConvertedConversation {
  readonly system: string | undefined;
  readonly messages: AnthropicMessageParam[];
}

interface Turn {
  readonly role: 'user' | 'assistant';
  readonly blocks: AnthropicRequestBlock[];
}

export function convertMessages(messages: unknown): ConvertedConversation {
  if (!Array.isArray(messages)) throw new Untranslatable('messages must be an array');
  const system: string[] = [];
  const turns: Turn[] = [];
  const add = (role: Turn['role'], blocks: AnthropicRequestBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };
  messages.forEach((message: unknown, i) => {
    const where = `messages[${i}]`;
    if (!isRecord(message)) throw new Untranslatable(`${where} is not an object`);
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content, where);
        if (text !== '') system.push(text);
        break;
      }
      case 'user':
        add('user', userBlocks(message.content, where));
        break;
      case 'assistant':
        add('assistant', assistantBlocks(message, where));
        break;
      case 'tool':
        add('user', [toolResult(message, where)]);
        break;
      default:
        throw new Untranslatable(
          `${where}: role "${String(message.role)}" has no Anthropic form (use tools and tool messages)`,
        );
    }
  });
  if (turns.length === 0) {
    throw new Untranslatable('the Messages API needs at least one user or assistant message with content');
  }
  return {
    system: system.length === 0 ? undefined : system.join('\n\n'),
    messages: turns.map(toMessageParam),
  };
}

function assistantBlocks(message: Record<string, unknown>, where: string): AnthropicRequestBlock[] {
  if (message.function_call !== undefined && message.function_call !== null) {
    throw new Untranslatable(`${where}: legacy function_call has no Anthropic form; use tool_calls`);
  }
  if (message.audio !== undefined && message.audio !== null) {
    throw new Untranslatable(`${where}: assistant audio has no Anthropic form`);
  }
  const blocks: AnthropicRequestBlock[] = textBlocks(textOf(message.content, where));
  const calls = message.tool_calls;
  if (calls === undefined || calls === null) return blocks;
  if (!Array.isArray(calls)) throw new Untranslatable(`${where}.tool_calls must be an array`);
  calls.forEach((call: unknown, j) => blocks.push(toolUse(call, `${where}.tool_calls[${j}]`)));
  return blocks;
}

function toolUse(call: unknown, at: string): AnthropicToolUseBlock {
  if (!isRecord(call) || call.type !== 'function' || !isRecord(call.function)) {
    throw new Untranslatable(`${at}: only function tool calls have an Anthropic form`);
  }
  const id = stringOf(call.id);
  const name = stringOf(call.function.name);
  if (id === undefined || name === undefined)
    throw new Untranslatable(`${at}: id and function.name are required`);
  return { type: 'tool_use', id, name, input: parseArguments(call.function.arguments, at) };
}

/** Anthropic tool input is an object; OpenAI sends it as JSON text. */
function parseArguments(args: unknown, at: string): Record<string, unknown> {
  if (args === undefined || args === null || args === '') return {};
  let parsed: unknown;
  try {
    parsed = typeof args === 'string' ? JSON.parse(args) : args;
  } catch {
    throw new Untranslatable(`${at}.function.arguments is not valid JSON`);
  }
  if (!isRecord(parsed))
    throw new Untranslatable(`${at}.function.arguments must be a JSON object for Anthropic`);
  return parsed;
}

function toolResult(message: Record<string, unknown>, where: string): AnthropicToolResultBlock {
  const id = stringOf(message.tool_call_id);
  if (id === undefined) throw new Untranslatable(`${where}: tool messages need a tool_call_id`);
  const text = textOf(message.content, where);
  return text === ''
    ? { type: 'tool_result', tool_use_id: id }
    : { type: 'tool_result', tool_use_id: id, content: text };
}

/** Tool results must open a user turn; a lone text block is sent as a plain string. */
function toMessageParam(turn: Turn): AnthropicMessageParam {
  const blocks =
    turn.role === 'user'
      ? [...turn.blocks.filter(isToolResult), ...turn.blocks.filter((b) => !isToolResult(b))]
      : turn.blocks;
  const only = blocks.length === 1 ? blocks[0] : undefined;
  if (only?.type === 'text') return { role: turn.role, content: only.text };
  return { role: turn.role, content: blocks };
}

function isToolResult(block: AnthropicRequestBlock): block is AnthropicToolResultBlock {
  return block.type === 'tool_result';
}
