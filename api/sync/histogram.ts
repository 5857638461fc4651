/**
 * The wire form of a latency histogram in sync reports: counts per fixed bucket, trailing zeros trimmed.
 * Buckets are log-spaced, BUCKETS_PER_DOUBLING per doubling from 1 ms: bucket i holds latencies in
 * (2^((i-1)/4), 2^(i/4)] ms, bucket 0 everything up to 1 ms, the last bucket everything above 2^20 ms.
 * The layout is part of the contract (core/latency-histogram.ts records and reads it), since histograms from
 * every sidecar are merged by adding counts bucket by bucket.
 */
import * as z from 'zod';

export const BUCKETS_PER_DOUBLING = 4;
/** 2^20 ms ≈ 17.5 minutes: the largest latency told apart from "more". */
export const HISTOGRAM_DOUBLINGS = 20;
export const BUCKET_COUNT = HISTOGRAM_DOUBLINGS * BUCKETS_PER_DOUBLING + 1;

export const HistogramCountsSchema = z
  .array(z.number().int().min(0))
  .max(BUCKET_COUNT)
  .describe('Counts per latency bucket (see api/sync/histogram.ts), trailing zeros trimmed.');
