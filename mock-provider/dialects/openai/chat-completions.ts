import { formatSseEvent, SSE_DONE } from '../../../core/sse/sse-writer.ts';
import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { fnv1a32 } from '../../hash.ts';
import { continuedReply, mockReplyText } from '../../reply-text.ts';
import { estimateTokens, splitEvenly, truncateToTokens } from '../../text-tokens.ts';
import { invalidRequest } from './openai-errors.ts';
import {
  invalidType,
  invalidValue,
  missing,
  optionalBoolean,
  optionalInteger,
  requireModel,
  requireObjectBody,
} from './openai-fields.ts';
import { isRecord } from '../../../core/json.ts';
import { OpenAiRequestError } from './openai-request-error.ts';

const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'] as const;
/** Tokens the API adds around each message and to prime the reply (a rough, fixed estimate). */
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

interface ChatMessage {
  role: string;
  text: string;
}

interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
  n: number;
  /** vLLM's continue_final_message: the answer continues the final (assistant) message. */
  continueFinal: boolean;
}

type FinishReason = 'stop' | 'length';

/** POST /v1/chat/completions: a `chat.completion` object, or `chat.completion.chunk` events when streaming. */
export function createChatCompletion(context: MockRouteContext): MockReply {
  const request = readChatRequest(context);
  const prompt = [...request.messages].reverse().find((m) => m.role === 'user')?.text ?? '';
  const continued = request.continueFinal ? (request.messages.at(-1)?.text ?? '') : '';
  const full = continuedReply(mockReplyText(context.providerName, context.behaviour, prompt), continued);
  const reply =
    request.maxTokens === undefined
      ? { text: full, truncated: false }
      : truncateToTokens(full, request.maxTokens);
  const finishReason: FinishReason = reply.truncated ? 'length' : 'stop';
  const promptTokens = estimatePromptTokens(request.messages);
  const completionTokens = estimateTokens(reply.text) * request.n;
  const answer = {
    id: `chatcmpl-${context.randomId(29)}`,
    created: context.nowSeconds,
    model: request.model,
    fingerprint: `fp_${fnv1a32(context.providerName).toString(16).padStart(8, '0')}`,
    usage: usage(promptTokens, completionTokens),
  };
  const tokens = promptTokens + completionTokens;
  if (request.stream) {
    const pieces = splitEvenly(reply.text, context.behaviour.streamChunks);
    return { kind: 'sse', events: streamEvents(answer, request, pieces, finishReason), tokens };
  }
  const choices = indices(request.n).map((index) => ({
    index,
    message: { role: 'assistant', content: reply.text, refusal: null, annotations: [] },
    logprobs: null,
    finish_reason: finishReason,
  }));
  const body = {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices,
    usage: answer.usage,
    service_tier: 'default',
    system_fingerprint: answer.fingerprint,
  };
  return { kind: 'json', status: 200, body, tokens };
}

function streamEvents(
  answer: { id: string; created: number; model: string; fingerprint: string; usage: object },
  request: ChatRequest,
  pieces: readonly string[],
  finishReason: FinishReason,
): string[] {
  const chunk = (choices: object[], usage?: object): string => {
    const body: Record<string, unknown> = {
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      service_tier: 'default',
      system_fingerprint: answer.fingerprint,
      choices,
    };
    // With include_usage every chunk carries `usage: null` and one last chunk carries the totals.
    if (request.includeUsage) body.usage = usage ?? null;
    return formatSseEvent({ data: JSON.stringify(body) });
  };
  const choice = (index: number, delta: object, finish: FinishReason | null): object => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const events: string[] = [];
  for (const index of indices(request.n)) {
    events.push(chunk([choice(index, { role: 'assistant', content: '', refusal: null }, null)]));
  }
  for (const piece of pieces) {
    for (const index of indices(request.n)) events.push(chunk([choice(index, { content: piece }, null)]));
  }
  for (const index of indices(request.n)) events.push(chunk([choice(index, {}, finishReason)]));
  if (request.includeUsage) events.push(chunk([], answer.usage));
  events.push(SSE_DONE);
  return events;
}

function readChatRequest(context: MockRouteContext): ChatRequest {
  const body = requireObjectBody(context.request.body);
  const model = requireModel(body, context);
  const messages = readMessages(body.messages);
  const stream = optionalBoolean(body, 'stream') ?? false;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!stream) {
      throw new OpenAiRequestError(
        invalidRequest(
          "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
          'stream_options',
        ),
      );
    }
    if (!isRecord(streamOptions)) throw invalidType('stream_options', 'an object', streamOptions);
  }
  const includeUsage = isRecord(streamOptions) && streamOptions.include_usage === true;
  const maxTokens =
    optionalInteger(body, 'max_completion_tokens', 1) ?? optionalInteger(body, 'max_tokens', 1);
  const n = optionalInteger(body, 'n', 1, 128) ?? 1;
  const continueFinal = readContinueFinalMessage(body, messages, context.behaviour.continueFinalMessage);
  return { model, messages, stream, includeUsage, maxTokens, n, continueFinal };
}

const VLLM_TEMPLATE_FIELDS = ['continue_final_message', 'add_generation_prompt'] as const;

/**
 * vLLM's chat-template options, when the mock plays a server that has them: `continue_final_message` continues
 * the final assistant message, and needs `add_generation_prompt` (default true) off, as vLLM checks. A server
 * without them refuses them as OpenAI refuses any argument it does not know.
 */
function readContinueFinalMessage(
  body: Record<string, unknown>,
  messages: readonly ChatMessage[],
  supported: boolean,
): boolean {
  if (!supported) {
    const unknown = VLLM_TEMPLATE_FIELDS.find((field) => body[field] !== undefined);
    if (unknown !== undefined) {
      throw new OpenAiRequestError(invalidRequest(`Unrecognized request argument supplied: ${unknown}`));
    }
    return false;
  }
  const continueFinal = optionalBoolean(body, 'continue_final_message') ?? false;
  const addGenerationPrompt = optionalBoolean(body, 'add_generation_prompt') ?? true;
  if (!continueFinal) return false;
  if (addGenerationPrompt) {
    throw new OpenAiRequestError(
      invalidRequest('Cannot set both `continue_final_message` and `add_generation_prompt` to True.'),
    );
  }
  if (messages.at(-1)?.role !== 'assistant') {
    throw new OpenAiRequestError(
      invalidRequest('continue_final_message needs the final message to be an assistant message.'),
    );
  }
  return true;
}

function readMessages(value: unknown): ChatMessage[] {
  if (value === undefined) throw missing('messages');
  if (!Array.isArray(value)) throw invalidType('messages', 'an array of objects', value);
  if (value.length === 0) {
    throw new OpenAiRequestError(
      invalidRequest(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        'messages',
        'empty_array',
      ),
    );
  }
  return value.map((message: unknown, i) => {
    const name = `messages[${i}]`;
    if (!isRecord(message)) throw invalidType(name, 'an object', message);
    if (message.role === undefined) throw missing(`${name}.role`);
    if (typeof message.role !== 'string' || !(ROLES as readonly string[]).includes(message.role)) {
      throw invalidValue(`${name}.role`, message.role, ROLES);
    }
    return { role: message.role, text: contentText(message.content) };
  });
}

/** The text of a message's content: a string, or the text parts of a content-part array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of messages) tokens += TOKENS_PER_MESSAGE + estimateTokens(message.text);
  return tokens;
}

function usage(promptTokens: number, completionTokens: number): object {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
