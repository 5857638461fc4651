/**
 * Per-key exponential backoff, as client-go's ItemExponentialFailureRateLimiter: the n-th retry of a key
 * waits base·2^n, capped; `forget` starts the key over (after it succeeds).
 */
export class ExponentialBackoff {
  readonly baseMs: number;
  readonly capMs: number;
  readonly #failures = new Map<string, number>();

  constructor(options: { baseMs?: number; capMs?: number } = {}) {
    this.baseMs = options.baseMs ?? 5;
    this.capMs = options.capMs ?? 5 * 60_000;
  }

  /** The delay before the next retry of `key`; counts the failure. */
  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    return backoffDelay(failures, this.baseMs, this.capMs);
  }

  /** How many times `key` has been retried since it was last forgotten. */
  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }
}

/** base·2^attempt capped at cap (attempt 0 waits base), safe for large attempts. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  if (attempt >= 63) return capMs;
  return Math.min(capMs, baseMs * 2 ** attempt);
}
