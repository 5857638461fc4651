/**
 * Successes and failures over a sliding time window, as an immutable value so breaker transitions stay pure.
 * The window is a ring of WINDOW_BUCKETS buckets of windowMs / WINDOW_BUCKETS each: it slides one bucket at a
 * time, and recording or summing costs a fixed, small amount of work whatever the traffic.
 */
export const WINDOW_BUCKETS = 10;

interface Bucket {
  /** Index of the time slice (floor(t / bucketMs)) this bucket counts; a stale index means the bucket is empty. */
  readonly slice: number;
  readonly successes: number;
  readonly failures: number;
}

export interface OutcomeWindow {
  readonly windowMs: number;
  readonly buckets: readonly Bucket[];
}

export interface OutcomeTotals {
  readonly requests: number;
  readonly failures: number;
}

const EMPTY_BUCKET: Bucket = { slice: Number.NEGATIVE_INFINITY, successes: 0, failures: 0 };

export function emptyWindow(windowMs: number): OutcomeWindow {
  return { windowMs, buckets: new Array<Bucket>(WINDOW_BUCKETS).fill(EMPTY_BUCKET) };
}

function bucketMs(window: OutcomeWindow): number {
  return window.windowMs / WINDOW_BUCKETS;
}

function sliceAt(window: OutcomeWindow, now: number): number {
  return Math.floor(now / bucketMs(window));
}

function ringIndex(slice: number): number {
  return ((slice % WINDOW_BUCKETS) + WINDOW_BUCKETS) % WINDOW_BUCKETS;
}

export function recordOutcome(window: OutcomeWindow, failed: boolean, now: number): OutcomeWindow {
  const slice = sliceAt(window, now);
  const index = ringIndex(slice);
  const old = window.buckets[index] ?? EMPTY_BUCKET;
  const base = old.slice === slice ? old : { slice, successes: 0, failures: 0 };
  const bucket = failed
    ? { ...base, failures: base.failures + 1 }
    : { ...base, successes: base.successes + 1 };
  return { windowMs: window.windowMs, buckets: window.buckets.with(index, bucket) };
}

/** Outcomes recorded in the current slice and the WINDOW_BUCKETS − 1 before it. */
export function windowTotals(window: OutcomeWindow, now: number): OutcomeTotals {
  const newest = sliceAt(window, now);
  let requests = 0;
  let failures = 0;
  for (const b of window.buckets) {
    if (b.slice > newest - WINDOW_BUCKETS && b.slice <= newest) {
      requests += b.successes + b.failures;
      failures += b.failures;
    }
  }
  return { requests, failures };
}
