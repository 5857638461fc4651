import type { RateLimitBudget, RateLimitSnapshot } from '../providers/adapter.ts';

/** Below this share of a budget left, a provider's weight shrinks in proportion, so load moves elsewhere early. */
const LOW_WATER = 0.1;

/**
 * The latest rate-limit budgets a provider announced in its headers. Fed on every response; read by routing,
 * which skips a provider whose budget is used up until it refills and leans away from one running low.
 */
export class ProviderRateLimits {
  #requests: RateLimitBudget | undefined;
  #tokens: RateLimitBudget | undefined;

  update(snapshot: RateLimitSnapshot | undefined): void {
    if (!snapshot) return;
    if (snapshot.requests) this.#requests = snapshot.requests;
    if (snapshot.tokens) this.#tokens = snapshot.tokens;
  }

  /** When an exhausted budget refills; undefined when no budget is used up at `now`. */
  exhaustedUntil(now: number): number | undefined {
    let until: number | undefined;
    for (const b of [this.#requests, this.#tokens]) {
      if (b && b.remaining <= 0 && b.resetAt !== undefined && b.resetAt > now) {
        until = until === undefined ? b.resetAt : Math.max(until, b.resetAt);
      }
    }
    return until;
  }

  /** 1 with ample budget left; falls linearly to 0 as the scarcest budget runs out. Stale budgets count as full. */
  headroom(now: number): number {
    let factor = 1;
    for (const b of [this.#requests, this.#tokens]) {
      if (!b || b.limit === undefined || b.limit <= 0) continue;
      if (b.resetAt !== undefined && b.resetAt <= now) continue;
      factor = Math.min(factor, Math.max(0, b.remaining / b.limit) / LOW_WATER);
    }
    return Math.min(1, factor);
  }
}
