import type { Clock } from '../core/clock.ts';

/** Rate-limit figures in dialect-neutral form; each dialect names them in its own headers. */
export interface RateLimitState {
  limitRequests: number;
  remainingRequests: number;
  /** Time until the request budget is whole again, in ms. */
  resetRequestsMs: number;
  limitTokens: number;
  remainingTokens: number;
  resetTokensMs: number;
}

export interface RateLimits {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

/** Counts requests and tokens in fixed windows (a minute by default) starting at the first use. */
export class RateLimitWindow {
  private readonly clock: Clock;
  private readonly windowMs: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private requests = 0;
  private tokens = 0;

  constructor(clock: Clock, windowMs = 60_000) {
    this.clock = clock;
    this.windowMs = windowMs;
  }

  record(requests: number, tokens: number): void {
    this.roll();
    this.requests += requests;
    this.tokens += tokens;
  }

  state(limits: RateLimits): RateLimitState {
    const now = this.roll();
    const reset = Math.max(0, this.windowStart + this.windowMs - now);
    return {
      limitRequests: limits.requestsPerMinute,
      remainingRequests: Math.max(0, limits.requestsPerMinute - this.requests),
      resetRequestsMs: this.requests === 0 ? 0 : reset,
      limitTokens: limits.tokensPerMinute,
      remainingTokens: Math.max(0, limits.tokensPerMinute - this.tokens),
      resetTokensMs: this.tokens === 0 ? 0 : reset,
    };
  }

  private roll(): number {
    const now = this.clock.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.requests = 0;
      this.tokens = 0;
    }
    return now;
  }
}
