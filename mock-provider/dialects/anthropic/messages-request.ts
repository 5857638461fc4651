/**
 * Reads a `POST /v1/messages` body and refuses what the real API refuses, with its kind of message
 * ("<field path>: <problem>"): missing required fields, fields the API does not know (it forbids extra
 * inputs), out-of-range sampling values, malformed content blocks, tool results without their tool use and
 * tool uses without their results.
 */
import {
  ANTHROPIC_IMAGE_MEDIA_TYPES,
  type AnthropicTool,
  type AnthropicToolChoice,
} from '../../../sidecar/providers/anthropic/anthropic-types.ts';
import type { MockRouteContext } from '../../dialect.ts';
import { anthropicError, AnthropicRequestError, invalid } from './anthropic-mock-errors.ts';
import { isRecord } from '../../../core/json.ts';

export interface MockBlock {
  readonly type: string;
  readonly text?: string;
  readonly id?: string;
  readonly name?: string;
  readonly tool_use_id?: string;
  readonly content?: unknown;
}

export interface MockMessage {
  readonly role: 'user' | 'assistant';
  readonly blocks: readonly MockBlock[];
}

export interface MockMessagesRequest {
  readonly model: string;
  readonly maxTokens: number;
  readonly system: string;
  readonly messages: readonly MockMessage[];
  readonly stopSequences: readonly string[];
  readonly stream: boolean;
  readonly tools: readonly AnthropicTool[];
  readonly toolChoice: AnthropicToolChoice | undefined;
}

const TOP_LEVEL_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'stream',
  'tools',
  'tool_choice',
  'metadata',
  'thinking',
  'service_tier',
  'container',
  'mcp_servers',
  'context_management',
]);
const BLOCK_TYPES = new Set([
  'text',
  'image',
  'document',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
]);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

export function readMessagesRequest(context: MockRouteContext): MockMessagesRequest {
  const body = context.request.body;
  if (!isRecord(body)) throw invalid('body: Input should be a valid dictionary');
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL_FIELDS.has(key)) throw invalid(`${key}: Extra inputs are not permitted`);
  }
  const model = requireString(body, 'model');
  if (context.strictModels && !context.models.includes(model)) {
    throw new AnthropicRequestError(anthropicError('not_found_error', `model: ${model}`));
  }
  const maxTokens = requireInteger(body, 'max_tokens', 1);
  const messages = readMessages(body.messages);
  checkToolPairs(messages);
  optionalNumberIn(body, 'temperature', 0, 1);
  optionalNumberIn(body, 'top_p', 0, 1);
  if (body.top_k !== undefined && (!Number.isInteger(body.top_k) || (body.top_k as number) < 0)) {
    throw invalid('top_k: Input should be a valid integer greater than or equal to 0');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw invalid('stream: Input should be a valid boolean');
  }
  if (body.metadata !== undefined) {
    if (!isRecord(body.metadata)) throw invalid('metadata: Input should be a valid dictionary');
    for (const key of Object.keys(body.metadata)) {
      if (key !== 'user_id') throw invalid(`metadata.${key}: Extra inputs are not permitted`);
    }
  }
  const tools = readTools(body.tools);
  return {
    model,
    maxTokens,
    system: readSystem(body.system),
    messages,
    stopSequences: readStopSequences(body.stop_sequences),
    stream: body.stream === true,
    tools,
    toolChoice: readToolChoice(body.tool_choice, tools),
  };
}

function readSystem(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw invalid('system: Input should be a valid string or a list of text blocks');
  return value
    .map((block: unknown, i) => {
      if (!isRecord(block) || block.type !== 'text' || typeof block.text !== 'string') {
        throw invalid(`system.${i}: Input should be a text block`);
      }
      return block.text;
    })
    .join('\n');
}

function readMessages(value: unknown): MockMessage[] {
  if (value === undefined) throw invalid('messages: Field required');
  if (!Array.isArray(value)) throw invalid('messages: Input should be a valid list');
  if (value.length === 0) throw invalid('messages: at least one message is required');
  return value.map((message: unknown, i): MockMessage => {
    if (!isRecord(message)) throw invalid(`messages.${i}: Input should be a valid dictionary`);
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    const blocks = readContent(message.content, `messages.${i}.content`);
    const isFinalAssistant = i === value.length - 1 && message.role === 'assistant';
    const lastBlock = blocks.at(-1);
    if (isFinalAssistant && lastBlock?.type === 'text' && /\s$/u.test(lastBlock.text ?? '')) {
      throw invalid('messages: final assistant content cannot end with trailing whitespace');
    }
    if (blocks.length === 0 && !isFinalAssistant) {
      throw invalid(
        `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    return { role: message.role, blocks };
  });
}

function readContent(content: unknown, at: string): MockBlock[] {
  if (content === undefined) throw invalid(`${at}: Field required`);
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`${at}: Input should be a valid string or list`);
  return content.map((block: unknown, j) => readBlock(block, `${at}.${j}`));
}

function readBlock(block: unknown, at: string): MockBlock {
  if (!isRecord(block) || typeof block.type !== 'string')
    throw invalid(`${at}: Input should be a content block`);
  if (!BLOCK_TYPES.has(block.type)) {
    throw invalid(
      `${at}.type: Input tag '${block.type}' found using 'type' does not match any of the expected tags`,
    );
  }
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') throw invalid(`${at}.text: Field required`);
      if (block.text === '') throw invalid('messages: text content blocks must be non-empty');
      return { type: 'text', text: block.text };
    case 'image':
      checkImageSource(block.source, `${at}.source`);
      return { type: 'image' };
    case 'document':
      if (!isRecord(block.source)) throw invalid(`${at}.source: Field required`);
      return { type: 'document' };
    case 'tool_use':
      if (typeof block.id !== 'string') throw invalid(`${at}.id: Field required`);
      if (typeof block.name !== 'string') throw invalid(`${at}.name: Field required`);
      if (!isRecord(block.input)) throw invalid(`${at}.input: Input should be a valid dictionary`);
      return { type: 'tool_use', id: block.id, name: block.name };
    case 'tool_result':
      if (typeof block.tool_use_id !== 'string') throw invalid(`${at}.tool_use_id: Field required`);
      return { type: 'tool_result', tool_use_id: block.tool_use_id, content: block.content };
    default:
      return { type: block.type };
  }
}

function checkImageSource(source: unknown, at: string): void {
  if (!isRecord(source)) throw invalid(`${at}: Field required`);
  if (source.type === 'base64') {
    if (typeof source.media_type !== 'string' || !ANTHROPIC_IMAGE_MEDIA_TYPES.includes(source.media_type)) {
      throw invalid(
        `${at}.media_type: Input should be ${ANTHROPIC_IMAGE_MEDIA_TYPES.map((t) => `'${t}'`).join(', ')}`,
      );
    }
    if (typeof source.data !== 'string' || source.data === '') throw invalid(`${at}.data: Field required`);
    return;
  }
  if (source.type === 'url') {
    if (typeof source.url !== 'string') throw invalid(`${at}.url: Field required`);
    return;
  }
  throw invalid(`${at}.type: Input should be 'base64' or 'url'`);
}

/** Every tool_use must be answered by a tool_result in the next message, and every result must answer one. */
function checkToolPairs(messages: readonly MockMessage[]): void {
  messages.forEach((message, i) => {
    const previous = messages[i - 1];
    const asked = new Set(
      previous?.role === 'assistant'
        ? previous.blocks.filter((b) => b.type === 'tool_use').map((b) => b.id ?? '')
        : [],
    );
    const answered = message.blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id ?? '');
    const stray = answered.filter((id) => !asked.has(id));
    if (stray.length > 0) {
      throw invalid(
        `messages.${i}.content.0: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${stray.join(', ')}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    }
    if (message.role === 'assistant') {
      const next = messages[i + 1];
      const uses = message.blocks.filter((b) => b.type === 'tool_use').map((b) => b.id ?? '');
      const results = new Set(next?.blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id));
      const open = next === undefined ? [] : uses.filter((id) => !results.has(id));
      if (open.length > 0) {
        throw invalid(
          `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${open.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
    }
  });
}

function readTools(value: unknown): AnthropicTool[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('tools: Input should be a valid list');
  return value.map((tool: unknown, i): AnthropicTool => {
    if (!isRecord(tool)) throw invalid(`tools.${i}: Input should be a valid dictionary`);
    if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) {
      throw invalid(`tools.${i}.custom.name: String should match pattern '${TOOL_NAME.source}'`);
    }
    if (!isRecord(tool.input_schema)) throw invalid(`tools.${i}.custom.input_schema: Field required`);
    if (tool.input_schema.type !== 'object') {
      throw invalid(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
    }
    const description = typeof tool.description === 'string' ? tool.description : undefined;
    return {
      name: tool.name,
      ...(description === undefined ? {} : { description }),
      input_schema: tool.input_schema,
    };
  });
}

function readToolChoice(value: unknown, tools: readonly AnthropicTool[]): AnthropicToolChoice | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw invalid('tool_choice: Input should be a valid dictionary');
  if (tools.length === 0)
    throw invalid('tool_choice: tool_choice may only be specified while providing tools');
  const disable = value.disable_parallel_tool_use === true;
  switch (value.type) {
    case 'auto':
    case 'any':
      return { type: value.type, disable_parallel_tool_use: disable };
    case 'none':
      return { type: 'none' };
    case 'tool':
      if (typeof value.name !== 'string') throw invalid('tool_choice.tool.name: Field required');
      if (!tools.some((t) => t.name === value.name)) {
        throw invalid(`tool_choice.tool.name: tool '${value.name}' was not found in tools`);
      }
      return { type: 'tool', name: value.name, disable_parallel_tool_use: disable };
    default:
      throw invalid(
        "tool_choice.type: Input tag found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
      );
  }
}

function readStopSequences(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((s): s is string => typeof s === 'string')) {
    throw invalid('stop_sequences: Input should be a valid list of strings');
  }
  if (value.some((s) => s.trim() === '')) {
    throw invalid('stop_sequences: each stop sequence must contain non-whitespace');
  }
  return value;
}

function requireString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined) throw invalid(`${name}: Field required`);
  if (typeof value !== 'string' || value === '') throw invalid(`${name}: Input should be a valid string`);
  return value;
}

function requireInteger(body: Record<string, unknown>, name: string, min: number): number {
  const value = body[name];
  if (value === undefined) throw invalid(`${name}: Field required`);
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw invalid(`${name}: Input should be a valid integer`);
  if (value < min) throw invalid(`${name}: Input should be greater than or equal to ${min}`);
  return value;
}

function optionalNumberIn(body: Record<string, unknown>, name: string, min: number, max: number): void {
  const value = body[name];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`${name}: Input should be a valid number`);
  if (value < min) throw invalid(`${name}: Input should be greater than or equal to ${min}`);
  if (value > max) throw invalid(`${name}: Input should be less than or equal to ${max}`);
}
