/**
 * What the sidecar accepts on its OpenAI-compatible endpoints. Validation checks what routing and translation
 * rely on and passes every other field through untouched, so new OpenAI parameters keep working.
 */
import { promptTokensAtLeast, type ContextNeed } from '../routing/context-window.ts';
import * as z from 'zod';
import { formatIssues } from '../../api/v1alpha1/validation-errors.ts';
import { ECHO_LIMIT, echoInput } from '../core/echo.ts';
import { InvalidRequestError } from '../core/errors.ts';
import { isRecord } from '../../core/json.ts';

const ContentPartSchema = z.looseObject({ type: z.string() });

const MessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
});

const tokenLimit = z.number().int().min(1).optional();

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema).min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: tokenLimit.nullable(),
  max_completion_tokens: tokenLimit.nullable(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1),
  ]),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

export function validateRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const problems = formatIssues(result.error);
  const param = result.error.issues[0]?.path.map(String).join('.') ?? '';
  throw new InvalidRequestError(
    // Field paths name the app's own keys and array positions: a problem list is bounded like any echoed input.
    `Invalid request: ${echoInput(problems.join('; '), 4 * ECHO_LIMIT)}`,
    param === '' ? null : echoInput(param),
  );
}

const DEFAULT_OUTPUT_TOKENS = 256;

/**
 * Characters of a message's text: a string, or the string `text` of each content part. Anything else counts 0;
 * no recursion into what the app sent, however it nests.
 */
function textLength(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content as readonly unknown[]) {
    if (isRecord(part) && typeof part.text === 'string') n += part.text.length;
  }
  return n;
}

/** A cheap token estimate (≈4 characters a token) used before the provider reports real usage. */
export function estimateChatTokens(request: ChatCompletionRequest): { input: number; output: number } {
  const chars = request.messages.reduce((n, m) => n + textLength(m.content) + 4, 0);
  const output = request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_OUTPUT_TOKENS;
  return { input: Math.ceil(chars / 4), output };
}

/**
 * What the request needs of a context window: a low estimate of its prompt (the text of its messages only; tool
 * definitions, images and per-message overhead are left out, which only lowers it further) and the output it
 * reserves. See sidecar/routing/context-window.ts for why low.
 */
export function chatContextNeed(request: ChatCompletionRequest): ContextNeed {
  const chars = request.messages.reduce((n, m) => n + textLength(m.content), 0);
  return {
    promptTokens: promptTokensAtLeast(chars),
    outputTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
  };
}

export function estimateEmbeddingTokens(request: EmbeddingsRequest): { input: number; output: number } {
  const input = request.input;
  if (typeof input === 'string') return { input: Math.ceil(input.length / 4), output: 0 };
  const count = (input as readonly unknown[]).reduce<number>(
    (n, item) =>
      n + (typeof item === 'string' ? Math.ceil(item.length / 4) : Array.isArray(item) ? item.length : 1),
    0,
  );
  return { input: count, output: 0 };
}
