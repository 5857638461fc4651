/**
 * The Anthropic Messages API as a client API of the sidecar: requests are validated and converted to the internal
 * OpenAI shape, routed by the pool like any other, and answered, streamed and refused in Anthropic's shapes.
 */
import type { ParsedRequest } from '../../server/endpoints.ts';
import { chatContextNeed, estimateChatTokens, validateRequest } from '../openai-requests.ts';
import type { ClientApi } from '../client-api.ts';
import { toAnthropicError } from './anthropic-error.ts';
import { AnthropicStreamEncoder } from './anthropic-stream-encoder.ts';
import { MessagesRequestSchema } from './messages-request.ts';
import { toAnthropicMessage } from './to-anthropic-message.ts';
import { toOpenAIChatRequest } from './to-openai-request.ts';

export const ANTHROPIC_MESSAGES_API: ClientApi = {
  name: 'anthropic-messages',
  answer: toAnthropicMessage,
  error: toAnthropicError,
  streamEncoder: () => new AnthropicStreamEncoder(),
};

export function parseMessagesRequest(raw: unknown): ParsedRequest {
  const request = validateRequest(MessagesRequestSchema, raw);
  const body = toOpenAIChatRequest(request);
  const stream = request.stream === true;
  return {
    operation: 'chat',
    model: request.model,
    body,
    stream,
    // The encoder needs the upstream's usage chunk for message_delta.
    clientWantsUsage: stream,
    tokens: estimateChatTokens(body),
    context: chatContextNeed(body),
  };
}
