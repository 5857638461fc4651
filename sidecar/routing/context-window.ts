/**
 * Context windows: which targets can hold a request, and which logical model serves it when its own cannot (its
 * fallbacks). Pure: reads the targets' declared windows (spec.providers[].models[].contextWindow) and what the
 * request needs, changes nothing.
 *
 * The prompt's size is estimated from its characters, low on purpose: a request is refused a target only when even
 * the low estimate cannot fit, so one that fits is never held back (`promptTokensAtLeast`). What the estimate lets
 * through that is still too long, the provider's own context-length error catches (judge-outcome.ts), and the
 * request moves on as it would have before sending.
 */
import type { Target } from './target.ts';

/**
 * Characters per token of the usual rule of thumb for BPE tokenizers on English text (OpenAI's and Anthropic's
 * guidance); code and most other languages take more tokens per character, so this already leans low.
 */
export const CHARS_PER_TOKEN = 4;
/**
 * Only this share of the rule-of-thumb count is held against a window: text that packs up to 5⅓ characters into a
 * token (long words, repeated runs) is still sent. Hand-written rather than a tokenizer library: the pool mixes
 * dialects whose tokenizers differ (OpenAI's are public, Anthropic's and Gemini's are not), and a refusal must hold
 * for whichever target serves; a bound from characters holds for all of them and costs nothing per request.
 */
export const ESTIMATE_SAFETY = 0.75;

/** A low estimate of the tokens `chars` characters of prompt text take, for window checks only. */
export function promptTokensAtLeast(chars: number): number {
  return Math.floor((chars / CHARS_PER_TOKEN) * ESTIMATE_SAFETY);
}

/** What a request needs of a context window. */
export interface ContextNeed {
  /** Low estimate of the prompt's tokens (promptTokensAtLeast). */
  readonly promptTokens: number;
  /** The output the request reserves (max_tokens / max_completion_tokens); undefined when it sets none. */
  readonly outputTokens: number | undefined;
}

/**
 * Tokens `need` takes of `t`'s window: the prompt plus the output the request reserves, or else the target's own
 * default (maxOutputTokens, which the adapter sends), or else one token (the provider then fits the output to
 * what is left).
 */
export function tokensNeeded(need: ContextNeed, t: Target): number {
  return need.promptTokens + (need.outputTokens ?? t.endpoint.maxOutputTokens ?? 1);
}

/** Can `t` hold the request? Always, when its window is not declared. */
export function fits(t: Target, need: ContextNeed | undefined): boolean {
  return need === undefined || t.contextWindow === undefined || tokensNeeded(need, t) <= t.contextWindow;
}

/**
 * Targets a provider's context-length error ruled out for this request: the one that answered so, and every target
 * whose declared window is no larger than that one's declared window (they cannot hold it either).
 */
export class TooLong {
  /** Made at the first `add`: every request has a TooLong, few ever add to it. */
  #keys: Set<string> | undefined;
  #window = 0;

  add(t: Target): void {
    (this.#keys ??= new Set()).add(t.key);
    if (t.contextWindow !== undefined) this.#window = Math.max(this.#window, t.contextWindow);
  }

  has(t: Target): boolean {
    return (
      this.#keys?.has(t.key) === true || (t.contextWindow !== undefined && t.contextWindow <= this.#window)
    );
  }

  get empty(): boolean {
    return this.#keys === undefined;
  }
}

/** The logical models that may serve a request for `model`, in order: itself, then its fallbacks (depth first). */
export function modelChain(model: string, fallbacks: ReadonlyMap<string, readonly string[]>): string[] {
  const chain: string[] = [];
  const visit = (m: string) => {
    if (chain.includes(m)) return; // a cycle of fallbacks, or a model named twice
    chain.push(m);
    for (const f of fallbacks.get(m) ?? []) visit(f);
  };
  visit(model);
  return chain;
}

export interface Route {
  readonly model: string;
  /** The model's targets that can hold the request and were not ruled out. */
  readonly targets: readonly Target[];
}

/**
 * The first model of `chain` with a target that can hold the request (by declared windows) and that no
 * context-length error ruled out; undefined when none has one.
 */
export function routeFor(
  chain: readonly string[],
  targetsOf: (model: string) => readonly Target[],
  need: ContextNeed | undefined,
  tooLong: TooLong,
): Route | undefined {
  for (const model of chain) {
    const targets = targetsOf(model).filter((t) => fits(t, need) && !tooLong.has(t));
    if (targets.length > 0) return { model, targets };
  }
  return undefined;
}

/** The largest declared window among `targets`; undefined when one is not declared (it may hold anything). */
export function largestWindow(targets: readonly Target[]): number | undefined {
  let largest = 0;
  for (const t of targets) {
    if (t.contextWindow === undefined) return undefined;
    largest = Math.max(largest, t.contextWindow);
  }
  return largest;
}
