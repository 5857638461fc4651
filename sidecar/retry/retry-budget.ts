/**
 * A retry budget (as in Finagle and linkerd): over a sliding window, retries may be at most
 * `ratio` × first attempts + `minRetriesPerSecond` × window seconds. When a provider fails everything, retries
 * then add a bounded share to the load instead of multiplying it by the attempt count.
 *
 * Counters live in a ring of one-second buckets, so each call costs O(1) (amortised; a long idle gap clears at
 * most the whole ring once). The window is the current second plus the whole seconds before it, so it covers
 * between windowSeconds − 1 and windowSeconds of history.
 */
export interface RetryBudgetSettings {
  /** Retries allowed per first attempt in the window, in [0, 1]. */
  readonly ratio: number;
  /**
   * Retries allowed per second regardless of traffic, so a quiet app can still retry a rare failure. The default
   * matches the pool's `spec.retry.minRetriesPerSecond`.
   */
  readonly minRetriesPerSecond: number;
  /** Length of the window, rounded up to whole seconds. */
  readonly windowMs: number;
}

export const DEFAULT_RETRY_BUDGET_SETTINGS: RetryBudgetSettings = {
  ratio: 0.2,
  minRetriesPerSecond: 5,
  windowMs: 10_000,
};

const BUCKET_MS = 1_000;

function bucketCount(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / BUCKET_MS));
}

function checked(overrides: Partial<RetryBudgetSettings>): RetryBudgetSettings {
  const s = { ...DEFAULT_RETRY_BUDGET_SETTINGS, ...overrides };
  if (!(s.ratio >= 0 && s.ratio <= 1)) throw new RangeError('retry budget ratio must be in [0, 1]');
  if (!(s.minRetriesPerSecond >= 0)) throw new RangeError('minRetriesPerSecond must be ≥ 0');
  if (!(s.windowMs > 0 && Number.isFinite(s.windowMs)))
    throw new RangeError('windowMs must be finite and > 0');
  return s;
}

export class RetryBudget {
  private settingsInUse: RetryBudgetSettings;
  private requests: Float64Array;
  private retries: Float64Array;
  private requestTotal = 0;
  private retryTotal = 0;
  /** The second (floor(t / 1000)) the newest bucket counts, undefined before the first call. */
  private newestSecond: number | undefined;

  constructor(settings: Partial<RetryBudgetSettings> = {}) {
    this.settingsInUse = checked(settings);
    const n = bucketCount(this.settingsInUse.windowMs);
    this.requests = new Float64Array(n);
    this.retries = new Float64Array(n);
  }

  get settings(): RetryBudgetSettings {
    return this.settingsInUse;
  }

  /** Counts a first attempt (not a retry: retries are counted by `tryWithdraw`). */
  recordRequest(now: number): void {
    this.requests[this.slide(now)]! += 1;
    this.requestTotal += 1;
  }

  /** Spends one retry if the budget allows it now; false means: do not retry. */
  tryWithdraw(now: number): boolean {
    if (this.available(now) < 1) return false;
    this.retries[this.slide(now)]! += 1;
    this.retryTotal += 1;
    return true;
  }

  /** Retries that could be spent now (fractional; a retry needs at least 1). */
  available(now: number): number {
    this.slide(now);
    const { ratio, minRetriesPerSecond } = this.settingsInUse;
    const windowSeconds = this.requests.length;
    return ratio * this.requestTotal + minRetriesPerSecond * windowSeconds - this.retryTotal;
  }

  /**
   * A config reload: the settings become the defaults overlaid with `overrides`, and recent counts are kept;
   * with a different window length, the newest seconds that fit the new window are carried over.
   */
  updateSettings(overrides: Partial<RetryBudgetSettings>): void {
    const next = checked(overrides);
    const n = bucketCount(next.windowMs);
    const old = { requests: this.requests, retries: this.retries };
    this.settingsInUse = next;
    if (n === old.requests.length) return;
    this.requests = new Float64Array(n);
    this.retries = new Float64Array(n);
    this.requestTotal = 0;
    this.retryTotal = 0;
    if (this.newestSecond === undefined) return;
    for (let age = 0; age < Math.min(n, old.requests.length); age++) {
      const from = ringIndex(this.newestSecond - age, old.requests.length);
      const to = ringIndex(this.newestSecond - age, n);
      this.requests[to] = old.requests[from]!;
      this.retries[to] = old.retries[from]!;
      this.requestTotal += old.requests[from]!;
      this.retryTotal += old.retries[from]!;
    }
  }

  /** Moves the window to `now`, emptying the buckets of seconds that fell out; returns the current bucket. */
  private slide(now: number): number {
    const second = Math.floor(now / BUCKET_MS);
    const n = this.requests.length;
    if (this.newestSecond === undefined || second - this.newestSecond >= n) {
      this.requests.fill(0);
      this.retries.fill(0);
      this.requestTotal = 0;
      this.retryTotal = 0;
      this.newestSecond = second;
    }
    for (let s = this.newestSecond + 1; s <= second; s++) {
      const index = ringIndex(s, n);
      this.requestTotal -= this.requests[index]!;
      this.retryTotal -= this.retries[index]!;
      this.requests[index] = 0;
      this.retries[index] = 0;
    }
    // A clock that steps back counts in the newest bucket rather than in one the window already passed.
    this.newestSecond = Math.max(this.newestSecond, second);
    return ringIndex(this.newestSecond, n);
  }
}

function ringIndex(second: number, n: number): number {
  return ((second % n) + n) % n;
}
