import {
  ChatCompletionRequestSchema,
  EmbeddingsRequestSchema,
  chatContextNeed,
  estimateChatTokens,
  estimateEmbeddingTokens,
  validateRequest,
} from '../api/openai-requests.ts';
import { OPENAI_CLIENT_API, type ClientApi } from '../api/client-api.ts';
import {
  ANTHROPIC_MESSAGES_API,
  parseMessagesRequest,
} from '../api/anthropic-messages/anthropic-messages-api.ts';
import type { ForwardRequest } from '../proxy/forward.ts';

/** What routing needs to know of a validated request, in the sidecar's internal (OpenAI) shape. */
export type ParsedRequest = Pick<
  ForwardRequest,
  'operation' | 'model' | 'body' | 'stream' | 'clientWantsUsage' | 'tokens' | 'context'
>;

/** A POST endpoint the sidecar balances: the API shape its clients speak and how its body is validated. */
export interface ProxiedEndpoint {
  readonly clientApi: ClientApi;
  parse(raw: unknown): ParsedRequest;
}

export const PROXIED_ENDPOINTS: Record<string, ProxiedEndpoint> = {
  '/v1/chat/completions': {
    clientApi: OPENAI_CLIENT_API,
    parse(raw) {
      const body = validateRequest(ChatCompletionRequestSchema, raw);
      return {
        operation: 'chat',
        model: body.model,
        body,
        stream: body.stream === true,
        clientWantsUsage: body.stream_options?.include_usage === true,
        tokens: estimateChatTokens(body),
        context: chatContextNeed(body),
      };
    },
  },
  '/v1/embeddings': {
    clientApi: OPENAI_CLIENT_API,
    parse(raw) {
      const body = validateRequest(EmbeddingsRequestSchema, raw);
      return {
        operation: 'embeddings',
        model: body.model,
        body,
        stream: false,
        clientWantsUsage: false,
        tokens: estimateEmbeddingTokens(body),
      };
    },
  },
  '/v1/messages': { clientApi: ANTHROPIC_MESSAGES_API, parse: parseMessagesRequest },
};
