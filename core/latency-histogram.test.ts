import { describe, expect, it } from '@jest/globals';
import { seededRng } from './clock.ts';
import {
  BUCKET_COUNT,
  LatencyRecorder,
  bucketOf,
  bucketUpperBound,
  histogramCount,
  histogramMean,
  logMeanStandardError,
  mergeHistograms,
  quantile,
  type HistogramCounts,
} from './latency-histogram.ts';

function histogramOf(samples: readonly number[]): HistogramCounts {
  const r = new LatencyRecorder();
  for (const s of samples) r.record(s);
  return r.take();
}

/** The exact q-quantile of samples (nearest rank). */
function exactQuantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

describe('a latency histogram', () => {
  it.each<[string, number, number]>([
    ['puts 1 ms and below in the first bucket', 0.3, 0],
    ['puts exactly 1 ms in the first bucket', 1, 0],
    ['puts a value on a bucket bound into that bucket', 2, 4],
    ['puts a value just above a bound into the next bucket', 2.01, 5],
    ['puts a negative value (a clock step back) in the first bucket', -5, 0],
    ['puts NaN in the first bucket', Number.NaN, 0],
    ['puts an hour into the last bucket', 3_600_000, BUCKET_COUNT - 1],
  ])('%s', (_name, ms, bucket) => {
    expect(bucketOf(ms)).toBe(bucket);
  });

  it('bounds every value by its bucket: above the previous bound, at most its own', () => {
    for (const ms of [1.5, 3, 10, 47.3, 99.9, 100, 250, 1234.5, 60_000]) {
      const i = bucketOf(ms);
      expect(ms).toBeLessThanOrEqual(bucketUpperBound(i));
      expect(ms).toBeGreaterThan(bucketUpperBound(i - 1));
    }
  });

  it.each<[string, (rng: () => number) => number]>([
    ['estimates quantiles of uniform latencies within one bucket (±19 %)', (rng) => 20 + rng() * 400],
    ['estimates quantiles of a long-tailed distribution within one bucket', (rng) => 30 / (1 - rng()) ** 0.7],
  ])('%s', (_name, draw) => {
    const rng = seededRng(7);
    const samples = Array.from({ length: 5000 }, () => draw(rng));
    const h = histogramOf(samples);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const estimate = quantile(h, q) ?? Number.NaN;
      const exact = exactQuantile(samples, q);
      expect(estimate / exact).toBeGreaterThan(1 / 1.19);
      expect(estimate / exact).toBeLessThan(1.19);
    }
  });

  it('merges by adding counts, so a merged quantile equals the quantile of all samples together', () => {
    const rng = seededRng(3);
    const fast = Array.from({ length: 900 }, () => 40 + rng() * 20);
    const slow = Array.from({ length: 100 }, () => 900 + rng() * 200);
    const merged = mergeHistograms([histogramOf(fast), histogramOf(slow)]);
    expect(merged).toEqual(histogramOf([...fast, ...slow]));
    expect(histogramCount(merged)).toBe(1000);
    // The fleet's p95 lies in the slow sidecar's range; averaging the two sidecars' p95s would not.
    expect(quantile(merged, 0.95)).toBeGreaterThan(800);
  });

  it('has no quantile or mean when empty, and merging nothing gives an empty histogram', () => {
    expect(quantile([], 0.5)).toBeUndefined();
    expect(histogramMean([])).toBeUndefined();
    expect(mergeHistograms([])).toEqual([]);
    expect(mergeHistograms([[0, 0], []])).toEqual([]);
  });

  it('starts afresh after each take, as a sidecar does after each report', () => {
    const r = new LatencyRecorder();
    r.record(10);
    expect(histogramCount(r.take())).toBe(1);
    expect(r.take()).toEqual([]);
  });

  it('estimates the mean within one bucket', () => {
    const samples = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const mean = histogramMean(histogramOf(samples)) ?? Number.NaN;
    expect(mean / 55).toBeGreaterThan(1 / 1.19);
    expect(mean / 55).toBeLessThan(1.19);
  });
});

describe('the standard error of a histogram’s mean log latency', () => {
  const recorded = (values: readonly number[]) => {
    const r = new LatencyRecorder();
    for (const v of values) r.record(v);
    return r.take();
  };
  it('is undefined with fewer than two samples', () => {
    expect(logMeanStandardError(recorded([100]))).toBeUndefined();
  });
  it('is 0 when every sample falls in one bucket', () => {
    expect(logMeanStandardError(recorded([100, 100, 100]))).toBe(0);
  });
  it('shrinks as 1/√n for the same spread: 4 samples against the same 4 repeated 25 times', () => {
    const spread = [50, 100, 200, 400];
    const few = logMeanStandardError(recorded(spread)) ?? NaN;
    const many = logMeanStandardError(recorded(Array.from({ length: 25 }, () => spread).flat())) ?? NaN;
    // Sample variances (n − 1): 4/3 and 100/99 of the population's; √((4/3)/4) / √((100/99)/100) = √33.
    expect(few / many).toBeCloseTo(Math.sqrt(33), 6);
  });
  it('is near the spread of ln(latency) over √n for a doubling spread', () => {
    // Half at 100 ms, half at 200 ms: ln values ln 2 apart, standard deviation ≈ ln 2 / 2 (within bucket rounding).
    const n = 200;
    const se =
      logMeanStandardError(recorded(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 100 : 200)))) ?? NaN;
    expect(se).toBeCloseTo(Math.log(2) / 2 / Math.sqrt(n), 2);
  });
});
