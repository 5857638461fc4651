/**
 * What the mock model answers to a Messages request, deterministically: a text reply (the shared echo), cut at
 * the first stop sequence or at `max_tokens`; or a tool call when tools are given and either `tool_choice`
 * forces one or the last user message names a tool. The tool input is built from the tool's input schema.
 */
import type {
  AnthropicStopReason,
  AnthropicTool,
} from '../../../sidecar/providers/anthropic/anthropic-types.ts';
import type { MockRouteContext } from '../../dialect.ts';
import { continuedReply, mockReplyText } from '../../reply-text.ts';
import { invalid } from './anthropic-mock-errors.ts';
import { estimateTokens, truncateToTokens } from '../../text-tokens.ts';
import { type MockBlock, type MockMessage, type MockMessagesRequest } from './messages-request.ts';
import { isRecord } from '../../../core/json.ts';

export type PlannedBlock =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly input: Record<string, unknown>;
    };

export interface ReplyPlan {
  readonly blocks: readonly PlannedBlock[];
  readonly stopReason: AnthropicStopReason;
  readonly stopSequence: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Tokens the API adds around each message (a rough, fixed estimate). */
const TOKENS_PER_MESSAGE = 3;
const MAX_SCHEMA_DEPTH = 6;

export function planReply(context: MockRouteContext, request: MockMessagesRequest): ReplyPlan {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const prompt = lastUser === undefined ? '' : promptText(lastUser);
  // A final assistant turn is a prefill: the answer continues it (or a model without prefill refuses it).
  const last = request.messages.at(-1);
  const prefill = last?.role === 'assistant' ? promptText(last) : '';
  if (last?.role === 'assistant' && context.behaviour.rejectPrefill) {
    throw invalid(
      'This model does not support assistant message prefill. The conversation must end with a user message.',
    );
  }
  const reply = continuedReply(mockReplyText(context.providerName, context.behaviour, prompt), prefill);
  const tool = chooseTool(request, lastUser, prompt);
  const inputTokens = estimateInputTokens(request);
  if (tool !== undefined) {
    const input = sampleInput(tool.input_schema, reply);
    const call: PlannedBlock = {
      type: 'tool_use',
      id: `toolu_${context.randomId(24)}`,
      name: tool.name,
      input,
    };
    // Left to choose (auto), the model says what it is about to do before calling the tool.
    const preface = request.toolChoice?.type === 'any' || request.toolChoice?.type === 'tool';
    const blocks: PlannedBlock[] = preface
      ? [call]
      : [{ type: 'text', text: `I'll call ${tool.name}.` }, call];
    return {
      blocks,
      stopReason: 'tool_use',
      stopSequence: null,
      inputTokens,
      outputTokens: outputTokens(blocks),
    };
  }
  const stopped = cutAtStopSequence(reply, request.stopSequences);
  const limited = truncateToTokens(stopped.text, request.maxTokens);
  const blocks: PlannedBlock[] = limited.text === '' ? [] : [{ type: 'text', text: limited.text }];
  return {
    blocks,
    stopReason: limited.truncated ? 'max_tokens' : stopped.sequence === null ? 'end_turn' : 'stop_sequence',
    stopSequence: limited.truncated ? null : stopped.sequence,
    inputTokens,
    outputTokens: outputTokens(blocks),
  };
}

/** The text the model replies to: the user's words, or the tool results it was handed. */
function promptText(message: MockMessage): string {
  return message.blocks.map(blockText).join('');
}

function blockText(block: MockBlock): string {
  if (block.type === 'text') return block.text ?? '';
  if (block.type !== 'tool_result') return '';
  if (typeof block.content === 'string') return block.content;
  if (!Array.isArray(block.content)) return '';
  return block.content
    .map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

function chooseTool(
  request: MockMessagesRequest,
  lastUser: MockMessage | undefined,
  prompt: string,
): AnthropicTool | undefined {
  const choice = request.toolChoice;
  if (request.tools.length === 0 || choice?.type === 'none') return undefined;
  if (choice?.type === 'tool') return request.tools.find((t) => t.name === choice.name);
  const lower = prompt.toLowerCase();
  const named = request.tools.find((t) => lower.includes(t.name.toLowerCase()));
  if (choice?.type === 'any') return named ?? request.tools[0];
  const answeringResults = lastUser?.blocks.some((b) => b.type === 'tool_result') ?? false;
  return answeringResults ? undefined : named;
}

function cutAtStopSequence(
  text: string,
  sequences: readonly string[],
): { text: string; sequence: string | null } {
  let cut: { at: number; sequence: string } | undefined;
  for (const sequence of sequences) {
    const at = text.indexOf(sequence);
    if (at !== -1 && (cut === undefined || at < cut.at)) cut = { at, sequence };
  }
  return cut === undefined
    ? { text, sequence: null }
    : { text: text.slice(0, cut.at), sequence: cut.sequence };
}

/** A schema without properties (JSON mode's bare `{"type":"object"}`) gets the reply text as `reply`. */
function sampleInput(schema: Readonly<Record<string, unknown>>, reply: string): Record<string, unknown> {
  if (!isRecord(schema.properties) || Object.keys(schema.properties).length === 0) return { reply };
  const value = sampleValue(schema, 'input', 0);
  return isRecord(value) ? value : { reply };
}

function sampleValue(schema: unknown, name: string, depth: number): unknown {
  if (!isRecord(schema) || depth > MAX_SCHEMA_DEPTH) return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return schema.items === undefined ? [] : [sampleValue(schema.items, name, depth + 1)];
    case 'object': {
      const properties = isRecord(schema.properties) ? schema.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([key, sub]) => [key, sampleValue(sub, key, depth + 1)]),
      );
    }
    default:
      return `mock ${name}`;
  }
}

function estimateInputTokens(request: MockMessagesRequest): number {
  let tokens = estimateTokens(request.system);
  for (const message of request.messages) {
    tokens += TOKENS_PER_MESSAGE + estimateTokens(message.blocks.map(blockText).join(''));
  }
  if (request.tools.length > 0) tokens += estimateTokens(JSON.stringify(request.tools));
  return Math.max(1, tokens);
}

function outputTokens(blocks: readonly PlannedBlock[]): number {
  return blocks.reduce((n, b) => n + estimateTokens(b.type === 'text' ? b.text : JSON.stringify(b.input)), 0);
}
