/**
 * A target's cool-down after a 429: while it lasts the target is filtered out of the candidates. The breaker
 * ignores 429s; this is where they act, at once and for as long as the provider asked (see retry-after.ts).
 */
export {
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  parseRetryAfterMs,
  retryDeadlineFromHeaders,
  type HeaderGetter,
} from './retry-after.ts';

export class CoolDown {
  private until: number | undefined;
  /** Told of each cool-down this sidecar starts itself (to spread it to the fleet), not of adopted ones. */
  onCoolDown: ((until: number) => void) | undefined;

  /** Cools the target down until `until` (ms). Never shortens a cool-down already running. */
  coolDown(until: number): void {
    if (this.until !== undefined && until <= this.until) return;
    this.until = until;
    this.onCoolDown?.(until);
  }

  /** A cool-down another sidecar saw, pushed by the operator: applied like one's own, not reported back. */
  adopt(until: number): void {
    if (this.until === undefined || until > this.until) this.until = until;
  }

  isCoolingDown(now: number): boolean {
    return this.until !== undefined && now < this.until;
  }

  /** The latest deadline ever set, possibly past; undefined if the target was never cooled down. */
  get coolingUntil(): number | undefined {
    return this.until;
  }
}

/** The pool's reaction to rate limiting (spec.rateLimit). */
export interface RateLimitSettings {
  readonly defaultCooldownMs: number;
  readonly quotaExhaustedCooldownMs: number;
}

/**
 * Until when a rate-limited provider cools down: as long as it `asked` (Retry-After), else the pool's default; a
 * used-up quota does not come back in seconds, whatever Retry-After says, so the provider is left alone longer.
 */
export function coolDownUntil(
  now: number,
  asked: number | undefined,
  quotaExhausted: boolean,
  settings: RateLimitSettings,
): number {
  return quotaExhausted
    ? Math.max(asked ?? now, now + settings.quotaExhaustedCooldownMs)
    : (asked ?? now + settings.defaultCooldownMs);
}
