/**
 * An OpenAI chat completion request → the body of Anthropic's `POST /v1/messages`.
 *
 * Decisions where the two APIs differ:
 * - `max_tokens` is required by Anthropic: the request's `max_completion_tokens` or `max_tokens`, else the
 *   target model's `maxOutputTokens`, else DEFAULT_MAX_TOKENS.
 * - `temperature`: OpenAI takes 0–2, Anthropic 0–1. Values up to 1 pass unchanged (they mean about the same
 *   on both); values above 1 are clamped to 1, the most random Anthropic allows. Scaling (t/2) was rejected:
 *   it would change the common values apps choose on purpose (0.2, 0.7).
 * - `stop` → `stop_sequences`; `user` → `metadata.user_id`.
 * - Sampling hints with no Anthropic counterpart (`presence_penalty`, `frequency_penalty`, `seed`,
 *   `reasoning_effort`, `service_tier`, `store`, `metadata`) are dropped: they shape an answer but do not
 *   change what was asked. Features that would change the answer's shape are refused by `unsupportedFeature`.
 */
import type { AnthropicMessagesRequest } from './anthropic-types.ts';
import { convertMessages } from './convert-messages.ts';
import { convertTools } from './convert-tools.ts';
import { numberOf, stringOf } from '../../../core/json.ts';
import { Untranslatable } from './untranslatable.ts';

/** Output-token limit when neither the request nor the pool's model sets one. */
export const DEFAULT_MAX_TOKENS = 4096;
const MAX_TEMPERATURE = 1;

export interface RequestDefaults {
  readonly model: string;
  readonly maxOutputTokens: number | undefined;
}

export function toMessagesRequest(
  request: Readonly<Record<string, unknown>>,
  defaults: RequestDefaults,
): AnthropicMessagesRequest {
  const { system, messages } = convertMessages(request.messages);
  const temperature = numberOf(request.temperature);
  const topP = numberOf(request.top_p);
  const stop = stopSequences(request.stop);
  const user = stringOf(request.user);
  return {
    model: defaults.model,
    max_tokens:
      numberOf(request.max_completion_tokens) ??
      numberOf(request.max_tokens) ??
      defaults.maxOutputTokens ??
      DEFAULT_MAX_TOKENS,
    ...(system === undefined ? {} : { system }),
    messages,
    ...(temperature === undefined
      ? {}
      : { temperature: Math.min(Math.max(temperature, 0), MAX_TEMPERATURE) }),
    ...(topP === undefined ? {} : { top_p: topP }),
    ...(stop.length === 0 ? {} : { stop_sequences: stop }),
    ...convertTools(request),
    ...(user === undefined ? {} : { metadata: { user_id: user } }),
    ...(request.stream === true ? { stream: true } : {}),
  };
}

function stopSequences(stop: unknown): string[] {
  if (stop === undefined || stop === null) return [];
  const list: unknown[] = Array.isArray(stop) ? stop : [stop];
  // The API refuses empty stop sequences; an empty one never matches at OpenAI either.
  if (list.every((s): s is string => typeof s === 'string')) return list.filter((s) => s !== '');
  throw new Untranslatable('stop must be a string or an array of strings');
}
