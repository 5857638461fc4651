/**
 * A mergeable latency histogram: what sidecars report and the operator adds up, so fleet-wide percentiles come
 * from merged counts (averaging per-sidecar percentiles is wrong: the p95 of two p95s is not a p95).
 *
 * Buckets are fixed and log-spaced, four per doubling, so any two histograms merge by adding counts and every
 * estimate is within one bucket, i.e. ±9 % relative error (2^(1/4) ≈ 1.19 between bucket bounds), from 1 ms to
 * ~17 min; anything above lands in the last bucket. The wire form is a dense array of counts with trailing
 * zeros trimmed: a typical report is a few dozen small integers. The layout is the sync protocol's
 * (api/sync/histogram.ts).
 */

import { BUCKET_COUNT, BUCKETS_PER_DOUBLING } from '../api/sync/histogram.ts';

export { BUCKET_COUNT } from '../api/sync/histogram.ts';

/** Counts per bucket; bucket i holds latencies in (upper(i-1), upper(i)] ms, bucket 0 everything ≤ 1 ms. */
export type HistogramCounts = readonly number[];

/** The upper bound of bucket `i` in milliseconds. */
export function bucketUpperBound(i: number): number {
  return 2 ** (i / BUCKETS_PER_DOUBLING);
}

function bucketLowerBound(i: number): number {
  return i === 0 ? 0 : bucketUpperBound(i - 1);
}

export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0; // also NaN and negatives: a clock step backwards is not a slow request
  return Math.min(BUCKET_COUNT - 1, Math.ceil(Math.log2(ms) * BUCKETS_PER_DOUBLING - 1e-9));
}

/** Records into a mutable histogram; one per provider and model in a sidecar, swapped out at each report. */
export class LatencyRecorder {
  private counts: number[] = [];

  record(ms: number): void {
    const i = bucketOf(ms);
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  /** The counts since the last take, and a fresh start. */
  take(): HistogramCounts {
    const taken = this.counts;
    this.counts = [];
    return taken;
  }
}

/** Adds histograms bucket by bucket. */
export function mergeHistograms(histograms: Iterable<HistogramCounts>): HistogramCounts {
  const sum: number[] = [];
  for (const h of histograms) {
    for (const [i, c] of h.entries()) sum[i] = (sum[i] ?? 0) + c;
  }
  return trimTrailingZeros(sum);
}

export function histogramCount(h: HistogramCounts): number {
  let n = 0;
  for (const c of h) n += c;
  return n;
}

/**
 * The q-quantile (0 < q ≤ 1) in milliseconds, interpolated linearly inside the bucket that holds it;
 * undefined for an empty histogram.
 */
export function quantile(h: HistogramCounts, q: number): number | undefined {
  const total = histogramCount(h);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [i, c] of h.entries()) {
    if (c === 0) continue;
    if (seen + c >= rank) {
      const lower = bucketLowerBound(i);
      return lower + ((bucketUpperBound(i) - lower) * (rank - seen)) / c;
    }
    seen += c;
  }
  return bucketUpperBound(h.length - 1);
}

/** The mean in milliseconds, taking each bucket at its midpoint; undefined for an empty histogram. */
export function histogramMean(h: HistogramCounts): number | undefined {
  const total = histogramCount(h);
  if (total === 0) return undefined;
  let sum = 0;
  for (const [i, c] of h.entries()) sum += c * ((bucketLowerBound(i) + bucketUpperBound(i)) / 2);
  return sum / total;
}

/**
 * The standard error of the mean of ln(latency), from the buckets' geometric midpoints: how sure a mean taken from
 * this histogram is, in the log units scores use. Undefined with fewer than two samples.
 */
export function logMeanStandardError(h: HistogramCounts): number | undefined {
  const total = histogramCount(h);
  if (total < 2) return undefined;
  let sum = 0;
  let squares = 0;
  for (const [i, c] of h.entries()) {
    if (c === 0) continue;
    const x = Math.log(Math.sqrt(Math.max(bucketLowerBound(i), 0.5) * bucketUpperBound(i)));
    sum += c * x;
    squares += c * x * x;
  }
  const variance = Math.max(0, (squares - (sum * sum) / total) / (total - 1));
  return Math.sqrt(variance / total);
}

function trimTrailingZeros(counts: number[]): number[] {
  let end = counts.length;
  while (end > 0 && !counts[end - 1]) end--;
  counts.length = end;
  return counts;
}
