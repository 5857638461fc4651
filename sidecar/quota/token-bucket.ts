/**
 * A token bucket in virtual time: refilled continuously at `perMinute / 60 s`, holding at most `capacity`.
 * `take` may drive the level below zero (a token estimate that turned out short is paid back by waiting); the
 * bucket admits again once the level is back to `need`. Pure arithmetic on the `now` it is given.
 */
const MINUTE_MS = 60_000;

export class TokenBucket {
  #perMs: number;
  #capacity: number;
  #level: number;
  #at: number;

  /** Starts full. */
  constructor(perMinute: number, capacity: number, now: number) {
    this.#perMs = Math.max(0, perMinute) / MINUTE_MS;
    this.#capacity = capacity;
    this.#level = capacity;
    this.#at = now;
  }

  get capacity(): number {
    return this.#capacity;
  }

  level(now: number): number {
    this.#refill(now);
    return this.#level;
  }

  /** When the level reaches `need`: `now` if it has; Infinity when the bucket never refills that far. */
  readyAt(now: number, need: number): number {
    const level = this.level(now);
    if (level >= need) return now;
    if (this.#perMs === 0 || need > this.#capacity) return Infinity;
    // The epsilon keeps floating-point noise from adding a millisecond.
    return now + Math.ceil((need - level) / this.#perMs - 1e-6);
  }

  take(now: number, amount: number): void {
    this.#refill(now);
    this.#level -= amount;
  }

  /** Gives back what was taken in excess (never above capacity: a refund is no burst beyond the bucket's). */
  give(now: number, amount: number): void {
    this.#refill(now);
    this.#level = Math.min(this.#capacity, this.#level + amount);
  }

  /** A new rate and capacity; what was refilled so far at the old rate is kept (clamped to the new capacity). */
  reconfigure(perMinute: number, capacity: number, now: number): void {
    this.#refill(now);
    this.#perMs = Math.max(0, perMinute) / MINUTE_MS;
    this.#capacity = capacity;
    this.#level = Math.min(this.#level, capacity);
  }

  #refill(now: number): void {
    if (now <= this.#at) return;
    this.#level = Math.min(this.#capacity, this.#level + (now - this.#at) * this.#perMs);
    this.#at = now;
  }
}
