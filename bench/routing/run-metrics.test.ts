import { describe, expect, it } from '@jest/globals';
import { quantile } from './distributions.ts';
import { RunMetrics } from './run-metrics.ts';

describe('the client’s record of a run', () => {
  it('counts success over every request, served or not', () => {
    const m = new RunMetrics();
    for (let i = 0; i < 4; i++) m.requested();
    m.served(100, 0.001);
    m.served(200, 0.001);
    m.served(300, 0.001);
    expect(m.summary().successRate).toBe(0.75);
  });

  it('prices 1,000 served requests: failures are not billed and do not make a router look cheap', () => {
    const m = new RunMetrics();
    for (let i = 0; i < 10; i++) m.requested();
    m.served(100, 0.002);
    m.served(100, 0.004);
    expect(m.summary().costPer1kUSD).toBeCloseTo(3, 9);
  });

  it('takes p99 from the exact samples by nearest rank (1,000 samples: the 990th)', () => {
    const m = new RunMetrics();
    for (let i = 1_000; i >= 1; i--) {
      m.requested();
      m.served(i, 0);
    }
    expect(m.summary().p99Ms).toBe(990);
  });

  it('has no p99 or cost when nothing was served', () => {
    const m = new RunMetrics();
    m.requested();
    expect(m.summary()).toMatchObject({ successRate: 0, p99Ms: NaN, costPer1kUSD: NaN });
  });

  it.each([
    { name: 'the median of 1..4 by nearest rank is 2', values: [1, 2, 3, 4], p: 0.5, expected: 2 },
    { name: 'the maximum is the 1-quantile', values: [1, 2, 3, 4], p: 1, expected: 4 },
    { name: 'a tiny quantile is the minimum', values: [5, 6], p: 0.0001, expected: 5 },
  ])('$name', ({ values, p, expected }) => {
    expect(quantile(values, p)).toBe(expected);
  });
});
