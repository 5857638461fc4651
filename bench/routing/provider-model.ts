/**
 * A simulated provider: the world the routers are judged in, not decision code. Its true state (latency
 * distribution, error rate, outage, price, account rate limit, what its 429s ask for) follows a timeline of
 * phases; `answer` draws one attempt's outcome from the state at that instant, and `stateAt`/`wouldAccept` let
 * the oracle read the truth. The account's request limit is shared by every sidecar (one bucket per provider),
 * refilling continuously as the providers' own limiters do; its headers speak OpenAI's `x-ratelimit-*` so the
 * sidecar's real adapter reads them.
 */
import type { Rng } from '../../core/clock.ts';
import type { Price } from '../../sidecar/balancer/types.ts';
import { logNormal } from './distributions.ts';

export interface ProviderState {
  /** Median time to a whole answer, ms. */
  readonly latencyMedianMs: number;
  /** Shape of the log-normal latency: 0.3 puts p99 at about 2× the median. */
  readonly latencySigma: number;
  /** Share of attempts answered with a 500. */
  readonly errorRate: number;
  /** Hard-down: connections are refused. */
  readonly down: boolean;
  /** What the provider bills now, USD per million tokens. */
  readonly price: Price;
  /** The account's request limit per minute for the whole fleet; undefined: unlimited. */
  readonly requestsPerMinute: number | undefined;
  /** What its 429s ask for (Retry-After, s); undefined: until one request's worth has refilled, rounded up. */
  readonly retryAfterSeconds?: number | undefined;
}

/** From `from` (inclusive) to `until` (exclusive) virtual ms, the state is the base with `change` on top. */
export interface ProviderPhase {
  readonly from: number;
  readonly until: number;
  readonly change: Partial<ProviderState>;
}

export interface Tokens {
  readonly input: number;
  readonly output: number;
}

/** How one attempt ends, after `afterMs`. */
export type Answer =
  | {
      readonly kind: 'ok';
      readonly afterMs: number;
      readonly usage: Tokens;
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly afterMs: number;
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'refused'; readonly afterMs: number };

/** A refused connection fails fast; an error answer comes after part of the usual latency. */
export const REFUSED_AFTER_MS = 30;
export const RATE_LIMITED_AFTER_MS = 40;
const ERROR_LATENCY_SHARE = 0.3;

export class SimProvider {
  readonly name: string;
  readonly #base: ProviderState;
  readonly #phases: readonly ProviderPhase[];
  /** Request tokens left in the account's bucket, and when that was computed. */
  #level: number | undefined;
  #levelAt = 0;

  constructor(name: string, base: ProviderState, phases: readonly ProviderPhase[] = []) {
    this.name = name;
    this.#base = base;
    this.#phases = phases;
  }

  stateAt(t: number): ProviderState {
    let state = this.#base;
    for (const p of this.#phases) if (t >= p.from && t < p.until) state = { ...state, ...p.change };
    return state;
  }

  /** Whether an attempt sent at `t` would be taken (up, and the account's limit has room): the oracle's view. */
  wouldAccept(t: number): boolean {
    const state = this.stateAt(t);
    return !state.down && this.#refill(t, state) >= 1;
  }

  /** Draws the outcome of an attempt sent at `t`. */
  answer(t: number, rng: Rng, tokens: Tokens): Answer {
    const state = this.stateAt(t);
    if (state.down) return { kind: 'refused', afterMs: REFUSED_AFTER_MS };
    const level = this.#refill(t, state);
    const limit = state.requestsPerMinute;
    if (limit !== undefined && level < 1) {
      const perMs = limit / 60_000;
      const retryAfter = state.retryAfterSeconds ?? Math.max(1, Math.ceil((1 - level) / perMs / 1000));
      return {
        kind: 'status',
        status: 429,
        afterMs: RATE_LIMITED_AFTER_MS,
        headers: { ...this.#limitHeaders(state, level), 'retry-after': String(retryAfter) },
      };
    }
    if (limit !== undefined) this.#level = level - 1;
    const headers = this.#limitHeaders(state, this.#level ?? 0);
    const latency = logNormal(rng, state.latencyMedianMs, state.latencySigma);
    if (rng() < state.errorRate)
      return { kind: 'status', status: 500, afterMs: latency * ERROR_LATENCY_SHARE, headers };
    return { kind: 'ok', afterMs: latency, usage: tokens, headers };
  }

  /** The bucket's level at `t` (capacity: one minute of the limit), refilled since it was last read. */
  #refill(t: number, state: ProviderState): number {
    const limit = state.requestsPerMinute;
    if (limit === undefined) return Infinity;
    const before = this.#level ?? limit;
    const level = Math.min(limit, before + ((t - this.#levelAt) * limit) / 60_000);
    this.#level = level;
    this.#levelAt = t;
    return level;
  }

  #limitHeaders(state: ProviderState, level: number): Record<string, string> {
    const limit = state.requestsPerMinute;
    if (limit === undefined) return {};
    const remaining = Math.max(0, Math.floor(level));
    const fullInSeconds = ((limit - Math.min(limit, level)) * 60) / limit;
    return {
      'x-ratelimit-limit-requests': String(limit),
      'x-ratelimit-remaining-requests': String(remaining),
      'x-ratelimit-reset-requests': `${fullInSeconds.toFixed(3)}s`,
    };
  }
}
