/**
 * The request that continues a cut answer on another target, in the sidecar's internal (OpenAI) shape: the app's
 * conversation with the partial answer as its final assistant turn, in the form the target's continuation mode
 * asks for. The target's adapter then translates it like any request (Anthropic: the final assistant turn is a
 * prefill the answer continues).
 */
import type { ContinuationMode } from '../../../api/v1alpha1/providerpool.ts';
import { isRecord } from '../../../core/json.ts';

export interface ContinuationRequest {
  readonly body: Record<string, unknown>;
  /**
   * Trailing whitespace of the partial answer that the request could not carry (Anthropic refuses a final
   * assistant turn ending in whitespace). The client already has it; the continuation, which usually starts with
   * it again, must not send it twice (continuation-relay.ts).
   */
  readonly withheld: string;
}

/** The sidecar's rough estimate, ≈4 characters a token, as for prompts (api/openai-requests.ts). */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function continuationRequest(
  body: Readonly<Record<string, unknown>>,
  partial: string,
  mode: Exclude<ContinuationMode, 'none'>,
): ContinuationRequest {
  const carried = mode === 'prefill' ? partial.trimEnd() : partial;
  const withheld = partial.slice(carried.length);
  const next: Record<string, unknown> = { ...body };
  if (carried === '') return { body: next, withheld }; // nothing to continue: a fresh answer, minus what was sent
  next.messages = withFinalAssistant(Array.isArray(body.messages) ? body.messages : [], carried);
  if (mode === 'continue-final-message') {
    next.continue_final_message = true;
    next.add_generation_prompt = false;
  }
  // The app's limit bounds the whole answer: what was sent already counts against it.
  for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
    const limit = body[field];
    if (typeof limit === 'number') next[field] = Math.max(1, limit - estimateTokens(carried));
  }
  return { body: next, withheld };
}

/** The messages ending with `text` as the assistant's turn; an app's own final assistant turn is extended. */
function withFinalAssistant(messages: readonly unknown[], text: string): unknown[] {
  const last = messages.at(-1);
  if (!isRecord(last) || last.role !== 'assistant' || last.tool_calls != null) {
    return [...messages, { role: 'assistant', content: text }];
  }
  const content = last.content;
  const extended =
    typeof content === 'string' || content == null
      ? `${content ?? ''}${text}`
      : Array.isArray(content)
        ? [...content, { type: 'text', text }]
        : text;
  return [...messages.slice(0, -1), { ...last, content: extended }];
}
