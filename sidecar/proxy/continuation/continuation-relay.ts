/**
 * Makes a continuation's chunks (OpenAI chunk payloads, before the client's encoder) read as more of the answer
 * the client already has: the interrupted stream's id, model and created; no second role opener; not the
 * whitespace the client already got (ContinuationRequest.withheld); and usage that adds up every attempt the
 * answer took. The finish reason is the continuation's own.
 */
import { isRecord, numberOf, parseJson, recordsIn } from '../../../core/json.ts';
import type { TokenUsage } from '../../providers/adapter.ts';
import type { ChunkIdentity } from './partial-answer.ts';

export interface RelayInit {
  readonly identity: ChunkIdentity;
  /** Tokens the earlier, interrupted attempts of this answer used (reported or estimated). */
  readonly earlier: TokenUsage;
  readonly withheld: string;
}

export class ContinuationRelay {
  readonly #identity: ChunkIdentity;
  readonly #earlier: TokenUsage;
  #withheld: string;

  constructor(init: RelayInit) {
    this.#identity = init.identity;
    this.#earlier = init.earlier;
    this.#withheld = init.withheld;
  }

  /** The payloads to encode for the client in place of `payload` (none when nothing is left of it). */
  map(payload: string): readonly string[] {
    if (payload === '[DONE]') return [payload];
    const chunk = parseJson(payload); // translators emit JSON; anything else goes out as it is
    if (!isRecord(chunk)) return [payload];
    const { id, model, created } = this.#identity;
    if (id !== undefined) chunk.id = id;
    if (model !== undefined) chunk.model = model;
    if (created !== undefined) chunk.created = created;
    let carries = isRecord(chunk.usage) || !Array.isArray(chunk.choices) || chunk.choices.length === 0;
    for (const choice of recordsIn(chunk.choices)) {
      const delta = isRecord(choice.delta) ? choice.delta : {};
      delete delta.role;
      if (typeof delta.content === 'string') delta.content = this.#unsent(delta.content);
      if (choice.finish_reason != null || Object.values(delta).some((v) => v !== null && v !== '')) {
        carries = true;
      }
    }
    if (!carries) return [];
    if (isRecord(chunk.usage)) chunk.usage = this.#sum(chunk.usage);
    return [JSON.stringify(chunk)];
  }

  /** `content` without what the client already has of the withheld whitespace. */
  #unsent(content: string): string {
    const withheld = this.#withheld;
    if (withheld === '') return content;
    let same = 0;
    while (same < content.length && same < withheld.length && content[same] === withheld[same]) same++;
    if (same === content.length) {
      this.#withheld = withheld.slice(same);
      return '';
    }
    this.#withheld = '';
    return content.slice(same);
  }

  #sum(usage: Record<string, unknown>): Record<string, unknown> {
    const prompt = (numberOf(usage.prompt_tokens) ?? 0) + this.#earlier.inputTokens;
    const completion = (numberOf(usage.completion_tokens) ?? 0) + this.#earlier.outputTokens;
    return {
      ...usage,
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    };
  }
}
