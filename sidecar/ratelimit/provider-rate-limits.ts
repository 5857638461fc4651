import type { RateLimitBudget, RateLimitSnapshot } from '../providers/adapter.ts';

/** Below this share of a budget left, a provider's weight shrinks in proportion, so load moves elsewhere early. */
const LOW_WATER = 0.1;

/**
 * How long a used-up budget holds a provider back when its refill cannot be worked out (no limit or no reset
 * announced). Short on purpose: a wrong guess costs one request, which a 429 then answers with the provider's own
 * Retry-After; a long guess starves a provider that has room again.
 */
export const EXHAUSTED_HOLD_MS = 1_000;

/** A budget as announced, and when. */
interface Observed {
  readonly budget: RateLimitBudget;
  readonly at: number;
}

/**
 * The latest rate-limit budgets a provider announced in its headers. Fed on every response, 429s included; read by
 * routing, which leans away from a provider running low (`headroom`) and skips one with nothing left
 * (`exhaustedUntil`).
 *
 * Providers refill budgets continuously (a token bucket): the announced reset is when a budget is *full* again,
 * not when it has room. So a budget is taken to refill linearly from `remaining` when announced to `limit` at
 * `fullAt`, and a used-up one holds the provider only until about one unit is back (window / limit), never for
 * the whole window. How long a 429 keeps a provider out is the cool-down's business (Retry-After), not this one's.
 */
export class ProviderRateLimits {
  #requests: Observed | undefined;
  #tokens: Observed | undefined;

  update(snapshot: RateLimitSnapshot | undefined, now: number): void {
    if (!snapshot) return;
    if (snapshot.requests) this.#requests = { budget: snapshot.requests, at: now };
    if (snapshot.tokens) this.#tokens = { budget: snapshot.tokens, at: now };
  }

  /** Until when a used-up budget holds the provider back; undefined when every budget has room at `now`. */
  exhaustedUntil(now: number): number | undefined {
    let until: number | undefined;
    for (const o of [this.#requests, this.#tokens]) {
      const at = o && roomAt(o);
      if (at !== undefined && at > now) until = until === undefined ? at : Math.max(until, at);
    }
    return until;
  }

  /** 1 with ample budget left; falls linearly to 0 as the scarcest budget runs out. Full budgets count as 1. */
  headroom(now: number): number {
    let factor = 1;
    for (const o of [this.#requests, this.#tokens]) {
      const limit = o?.budget.limit;
      if (!o || limit === undefined || limit <= 0) continue;
      factor = Math.min(factor, Math.max(0, remainingAt(o, now) / limit) / LOW_WATER);
    }
    return Math.min(1, factor);
  }
}

/** When a used-up budget has one unit back; undefined when it was not used up. */
function roomAt({ budget, at }: Observed): number | undefined {
  const { remaining, limit, fullAt } = budget;
  if (remaining > 0) return undefined;
  if (fullAt === undefined) return at + EXHAUSTED_HOLD_MS;
  if (limit === undefined || limit <= remaining) return Math.min(fullAt, at + EXHAUSTED_HOLD_MS);
  return at + ((fullAt - at) * (1 - remaining)) / (limit - remaining);
}

/** The units a budget has at `now`, refilling linearly towards its limit at `fullAt`. */
function remainingAt(o: Observed, now: number): number {
  const { remaining, limit, fullAt } = o.budget;
  if (limit === undefined) return remaining;
  if (fullAt === undefined) {
    // No refill announced: trust the count, but a used-up budget gets a unit back after the hold, so it is tried.
    const room = roomAt(o);
    return room !== undefined && now >= room ? Math.max(remaining, 1) : remaining;
  }
  if (now >= fullAt || fullAt <= o.at) return limit;
  return remaining + ((limit - remaining) * (now - o.at)) / (fullAt - o.at);
}
