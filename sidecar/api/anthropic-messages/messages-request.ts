/**
 * What the sidecar accepts on `POST /v1/messages`, Anthropic's Messages API (https://docs.anthropic.com/en/api/messages).
 * Validation checks what the translation to the sidecar's internal (OpenAI) request relies on; fields that have no
 * counterpart there (cache_control, citations, service_tier, …) are accepted and left out.
 */
import * as z from 'zod';

const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

const TextBlockSchema = z.looseObject({ type: z.literal('text'), text: z.string() });

/**
 * Content given as a string is one text block. Reading it so (rather than as a union of string and blocks) lets
 * a bad block be reported at its own path instead of as "invalid input" for the whole content.
 */
function blocksOrText<T extends z.ZodType>(blocks: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? [{ type: 'text', text: value }] : value),
    blocks,
  );
}

const ImageBlockSchema = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.looseObject({
      type: z.literal('base64'),
      media_type: z.enum(IMAGE_MEDIA_TYPES),
      data: z.string().min(1),
    }),
    z.looseObject({ type: z.literal('url'), url: z.url({ protocol: /^https?$/ }) }),
  ]),
});

const DocumentBlockSchema = z.looseObject({
  type: z.literal('document'),
  source: z.discriminatedUnion(
    'type',
    [
      z.looseObject({
        type: z.literal('base64'),
        media_type: z.literal('application/pdf'),
        data: z.string().min(1),
      }),
      z.looseObject({ type: z.literal('text'), media_type: z.literal('text/plain'), data: z.string() }),
    ],
    { error: 'documents must be base64 PDFs or plain text; URL and file-id sources are not supported here' },
  ),
  title: z.string().nullable().optional(),
});

const ToolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});

const ToolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: blocksOrText(
    z.array(z.discriminatedUnion('type', [TextBlockSchema, ImageBlockSchema])),
  ).optional(),
  is_error: z.boolean().optional(),
});

/** Thinking from an earlier turn: accepted in history, not passed on (the internal request has no field for it). */
const ThinkingBlockSchema = z.looseObject({ type: z.literal('thinking'), thinking: z.string() });
const RedactedThinkingBlockSchema = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });

const ContentBlockSchema = z.discriminatedUnion(
  'type',
  [
    TextBlockSchema,
    ImageBlockSchema,
    DocumentBlockSchema,
    ToolUseBlockSchema,
    ToolResultBlockSchema,
    ThinkingBlockSchema,
    RedactedThinkingBlockSchema,
  ],
  {
    error:
      'unsupported content block type; use text, image, document, tool_use, tool_result, thinking or redacted_thinking',
  },
);

const MessageSchema = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: blocksOrText(z.array(ContentBlockSchema)),
});

/** Client tools only: server tools (web search, code execution, …) run at Anthropic and have no counterpart. */
const ToolSchema = z.looseObject({
  type: z.literal('custom').optional(),
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.literal('object') }),
});

const ToolChoiceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({
    type: z.literal('tool'),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().optional(),
  }),
  z.looseObject({ type: z.literal('none') }),
]);

export const MessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(MessageSchema).min(1),
  system: blocksOrText(z.array(TextBlockSchema)).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stream: z.boolean().optional(),
  tools: z.array(ToolSchema).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
});

export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;
export type MessageParam = MessagesRequest['messages'][number];
export type ContentBlock = z.infer<typeof ContentBlockSchema>;
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;
