import { describe, expect, it } from '@jest/globals';
import { acrossSeeds, checksAcrossSeeds, median } from './across-seeds.ts';
import type { SimResult } from './simulate.ts';
import type { TargetCheck } from './targets.ts';

const run = (successRate: number, p99Ms: number, costPer1kUSD: number): SimResult => ({
  scenario: 'steady',
  strategy: 'adaptive',
  requests: 100,
  successRate,
  p99Ms,
  costPer1kUSD,
});

const check = (p99VsOracle: number, misses: string[] = []): TargetCheck => ({
  scenario: 'steady',
  successVsOracle: 1,
  p99VsOracle,
  costVsOracle: 1.1,
  bestNaive: { strategy: 'naive-round-robin', successRate: 1 },
  misses,
});

describe('a routing run summed up across seeds', () => {
  it.each([
    { name: 'takes the middle value of an odd count', xs: [3, 1, 2], expected: 2 },
    { name: 'takes the mean of the middle two of an even count', xs: [4, 1, 3, 2], expected: 2.5 },
    { name: 'is the value itself for one seed', xs: [7], expected: 7 },
  ])('median $name', ({ xs, expected }) => {
    expect(median(xs)).toBe(expected);
  });

  it('gives each metric’s median and its worst case: the lowest success, the highest p99 and cost', () => {
    const [summary] = acrossSeeds([[run(1, 2000, 0.4)], [run(0.98, 2600, 0.5)], [run(0.99, 2100, 0.3)]]);
    expect(summary).toMatchObject({
      successRate: 0.99,
      p99Ms: 2100,
      costPer1kUSD: 0.4,
      worst: { successRate: 0.98, p99Ms: 2600, costPer1kUSD: 0.5 },
    });
  });

  it('keeps a miss on any one seed, with the seed, even when the median meets the target', () => {
    const [summary] = checksAcrossSeeds(
      [1, 2, 3],
      [[check(1.1)], [check(1.3, ['p99 1.30× the oracle’s'])], [check(1.05)]],
    );
    expect(summary?.median.p99VsOracle).toBe(1.1);
    expect(summary?.worst.p99VsOracle).toBe(1.3);
    expect(summary?.misses).toEqual([{ seed: 2, misses: ['p99 1.30× the oracle’s'] }]);
  });
});
