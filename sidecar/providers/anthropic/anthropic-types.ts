/**
 * The shapes of Anthropic's Messages API (https://docs.anthropic.com/en/api/messages), as far as Switchboard
 * speaks it: request, response, stream events and error body. One module so that the adapter, the mock
 * provider and an Anthropic-native entry point share one definition.
 */

/** The `anthropic-version` header value this build speaks when the pool names none. */
export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01';

/** Versions the API accepts in the `anthropic-version` header. */
export const ANTHROPIC_VERSIONS: readonly string[] = ['2023-01-01', '2023-06-01'];

/** Media types the API accepts in base64 image sources. */
export const ANTHROPIC_IMAGE_MEDIA_TYPES: readonly string[] = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
];

export type AnthropicRole = 'user' | 'assistant';

export interface AnthropicTextBlock {
  readonly type: 'text';
  readonly text: string;
}

export type AnthropicImageSource =
  | { readonly type: 'base64'; readonly media_type: string; readonly data: string }
  | { readonly type: 'url'; readonly url: string };

export interface AnthropicImageBlock {
  readonly type: 'image';
  readonly source: AnthropicImageSource;
}

/** A PDF document; base64 data or a URL. */
export interface AnthropicDocumentBlock {
  readonly type: 'document';
  readonly source:
    | { readonly type: 'base64'; readonly media_type: 'application/pdf'; readonly data: string }
    | { readonly type: 'url'; readonly url: string };
  readonly title?: string;
}

export interface AnthropicToolUseBlock {
  readonly type: 'tool_use';
  readonly id: string;
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface AnthropicToolResultBlock {
  readonly type: 'tool_result';
  readonly tool_use_id: string;
  readonly content?: string | readonly (AnthropicTextBlock | AnthropicImageBlock)[];
  readonly is_error?: boolean;
}

export interface AnthropicThinkingBlock {
  readonly type: 'thinking';
  readonly thinking: string;
  readonly signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  readonly type: 'redacted_thinking';
  readonly data: string;
}

/** Blocks a request's messages may carry. */
export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock;

/** Blocks a response's content may carry (the API may add more types; readers skip unknown ones). */
export type AnthropicResponseBlock =
  AnthropicTextBlock | AnthropicToolUseBlock | AnthropicThinkingBlock | AnthropicRedactedThinkingBlock;

export interface AnthropicMessageParam {
  readonly role: AnthropicRole;
  readonly content: string | readonly AnthropicRequestBlock[];
}

export interface AnthropicTool {
  readonly name: string;
  readonly description?: string;
  /** A JSON Schema whose `type` is "object". */
  readonly input_schema: Readonly<Record<string, unknown>>;
}

export type AnthropicToolChoice =
  | { readonly type: 'auto'; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: 'any'; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: 'tool'; readonly name: string; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: 'none' };

/** Body of `POST /v1/messages`. */
export interface AnthropicMessagesRequest {
  readonly model: string;
  readonly max_tokens: number;
  readonly messages: readonly AnthropicMessageParam[];
  readonly system?: string | readonly AnthropicTextBlock[];
  readonly stop_sequences?: readonly string[];
  readonly temperature?: number;
  readonly top_p?: number;
  readonly top_k?: number;
  readonly stream?: boolean;
  readonly tools?: readonly AnthropicTool[];
  readonly tool_choice?: AnthropicToolChoice;
  readonly metadata?: { readonly user_id?: string };
}

export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

export interface AnthropicUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_creation_input_tokens?: number | null;
  readonly cache_read_input_tokens?: number | null;
}

/** A `message` object: the non-streaming answer, and the skeleton in `message_start`. */
export interface AnthropicMessage {
  readonly id: string;
  readonly type: 'message';
  readonly role: 'assistant';
  readonly model: string;
  readonly content: readonly AnthropicResponseBlock[];
  readonly stop_reason: AnthropicStopReason | null;
  readonly stop_sequence: string | null;
  readonly usage: AnthropicUsage;
}

export type AnthropicContentDelta =
  | { readonly type: 'text_delta'; readonly text: string }
  | { readonly type: 'input_json_delta'; readonly partial_json: string }
  | { readonly type: 'thinking_delta'; readonly thinking: string }
  | { readonly type: 'signature_delta'; readonly signature: string };

/** Stream events; each arrives as `event: <type>` plus `data: <JSON with the same type>`. */
export type AnthropicStreamEvent =
  | { readonly type: 'message_start'; readonly message: AnthropicMessage }
  | {
      readonly type: 'content_block_start';
      readonly index: number;
      readonly content_block: AnthropicResponseBlock;
    }
  | { readonly type: 'content_block_delta'; readonly index: number; readonly delta: AnthropicContentDelta }
  | { readonly type: 'content_block_stop'; readonly index: number }
  | {
      readonly type: 'message_delta';
      readonly delta: {
        readonly stop_reason: AnthropicStopReason | null;
        readonly stop_sequence: string | null;
      };
      /** Cumulative counts; `output_tokens` always, the input counts on newer API versions. */
      readonly usage: Partial<AnthropicUsage> & { readonly output_tokens: number };
    }
  | { readonly type: 'message_stop' }
  | { readonly type: 'ping' }
  | AnthropicErrorBody;

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/** The error body of every failed request, and the data of a stream's `error` event. */
export interface AnthropicErrorBody {
  readonly type: 'error';
  readonly error: { readonly type: AnthropicErrorType; readonly message: string };
  readonly request_id?: string;
}

const ERROR_STATUS = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
} satisfies Record<AnthropicErrorType, number>;

/** HTTP status the API answers with for each error type; undefined for types this build does not know. */
export const ANTHROPIC_ERROR_STATUS: Readonly<Record<string, number | undefined>> = ERROR_STATUS;

/** Rate-limit response headers: `anthropic-ratelimit-<budget>-{limit,remaining,reset}` (reset in RFC 3339). */
export const ANTHROPIC_RATE_LIMIT_BUDGETS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;
export type AnthropicRateLimitBudget = (typeof ANTHROPIC_RATE_LIMIT_BUDGETS)[number];

export function rateLimitHeaderName(
  budget: AnthropicRateLimitBudget,
  field: 'limit' | 'remaining' | 'reset',
): string {
  return `anthropic-ratelimit-${budget}-${field}`;
}
