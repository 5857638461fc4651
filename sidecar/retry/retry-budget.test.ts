import { describe, expect, it } from '@jest/globals';
import { DEFAULT_RETRY_BUDGET_SETTINGS, RetryBudget, type RetryBudgetSettings } from './retry-budget.ts';

/** Withdraws until refused (at most `limit` times) and returns how many retries were granted. */
function drain(budget: RetryBudget, now: number, limit = 10_000): number {
  let granted = 0;
  while (granted < limit && budget.tryWithdraw(now)) granted++;
  return granted;
}

function requests(budget: RetryBudget, count: number, now: number): void {
  for (let i = 0; i < count; i++) budget.recordRequest(now);
}

describe('retry budget', () => {
  const cases: {
    name: string;
    settings: Partial<RetryBudgetSettings>;
    script: (b: RetryBudget) => number;
    granted: number;
  }[] = [
    {
      name: 'with no traffic the floor allows minRetriesPerSecond × window seconds',
      settings: { ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000 },
      script: (b) => drain(b, 0),
      granted: 10,
    },
    {
      name: 'without a floor, retries are ratio × first attempts',
      settings: { ratio: 0.2, minRetriesPerSecond: 0 },
      script: (b) => (requests(b, 100, 0), drain(b, 0)),
      granted: 20,
    },
    {
      name: 'ratio and floor add up',
      settings: { ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000 },
      script: (b) => (requests(b, 100, 0), drain(b, 0)),
      granted: 30,
    },
    {
      name: 'a fractional allowance grants only whole retries',
      settings: { ratio: 0.2, minRetriesPerSecond: 0 },
      script: (b) => (requests(b, 9, 0), drain(b, 0)),
      granted: 1,
    },
    {
      name: 'requests still in the window count at its last millisecond',
      settings: { ratio: 0.2, minRetriesPerSecond: 0, windowMs: 10_000 },
      script: (b) => (requests(b, 50, 0), drain(b, 9_999)),
      granted: 10,
    },
    {
      name: 'requests that slid out of the window no longer count',
      settings: { ratio: 0.2, minRetriesPerSecond: 0, windowMs: 10_000 },
      script: (b) => (requests(b, 50, 0), drain(b, 10_000)),
      granted: 0,
    },
    {
      name: 'the window slides a second at a time',
      settings: { ratio: 0.5, minRetriesPerSecond: 0, windowMs: 3_000 },
      script: (b) => (requests(b, 2, 0), requests(b, 4, 1_000), requests(b, 8, 2_000), drain(b, 3_500)),
      granted: 6,
    },
    {
      name: 'spent retries return to the budget once they slide out',
      settings: { ratio: 0, minRetriesPerSecond: 1, windowMs: 10_000 },
      script: (b) => drain(b, 0) + drain(b, 9_999) * 100 + drain(b, 10_000) * 1_000,
      granted: 10 + 10 * 1_000,
    },
    {
      name: 'a long idle gap empties the whole window',
      settings: { ratio: 0.2, minRetriesPerSecond: 0, windowMs: 10_000 },
      script: (b) => (requests(b, 50, 0), drain(b, 1), requests(b, 5, 3_600_000), drain(b, 3_600_000)),
      granted: 1,
    },
    {
      name: 'a clock that steps back counts in the newest second',
      settings: { ratio: 0.5, minRetriesPerSecond: 0, windowMs: 3_000 },
      script: (b) => (requests(b, 2, 5_000), requests(b, 2, 1_000), drain(b, 7_500)),
      granted: 2,
    },
    {
      name: 'with ratio 0 and no floor, no retry is ever allowed',
      settings: { ratio: 0, minRetriesPerSecond: 0 },
      script: (b) => (requests(b, 1_000, 0), drain(b, 0)),
      granted: 0,
    },
  ];

  it.each(cases)('$name', ({ settings, script, granted }) => {
    expect(script(new RetryBudget(settings))).toBe(granted);
  });

  it('the defaults are 20 % of first attempts plus 5 retries a second over 10 s', () => {
    expect(DEFAULT_RETRY_BUDGET_SETTINGS).toEqual({ ratio: 0.2, minRetriesPerSecond: 5, windowMs: 10_000 });
    const b = new RetryBudget();
    requests(b, 100, 0);
    expect(drain(b, 0)).toBe(70);
  });

  it('a refused withdrawal spends nothing', () => {
    const b = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0 });
    requests(b, 3, 0);
    expect(b.available(0)).toBe(1.5);
    expect(drain(b, 0)).toBe(1);
    expect(b.available(0)).toBe(0.5);
    expect(b.tryWithdraw(0)).toBe(false);
    expect(b.available(0)).toBe(0.5);
  });

  it('a settings reload with the same window keeps the counts and applies the new ratio', () => {
    const b = new RetryBudget({ ratio: 0.1, minRetriesPerSecond: 0 });
    requests(b, 100, 0);
    expect(drain(b, 0)).toBe(10);
    b.updateSettings({ ratio: 0.3, minRetriesPerSecond: 0 });
    expect(drain(b, 500)).toBe(20);
  });

  it('a settings reload to a shorter window carries over only the newest seconds', () => {
    const b = new RetryBudget({ ratio: 1, minRetriesPerSecond: 0, windowMs: 10_000 });
    requests(b, 100, 0);
    requests(b, 4, 8_000);
    requests(b, 2, 9_000);
    b.updateSettings({ ratio: 1, minRetriesPerSecond: 0, windowMs: 2_000 });
    expect(b.available(9_000)).toBe(6);
    expect(b.available(10_000)).toBe(2);
  });

  it.each([
    { name: 'rejects a ratio above 1', settings: { ratio: 1.5 } },
    { name: 'rejects a negative floor', settings: { minRetriesPerSecond: -1 } },
    { name: 'rejects an empty window', settings: { windowMs: 0 } },
  ])('$name', ({ settings }) => {
    expect(() => new RetryBudget(settings)).toThrow(RangeError);
  });
});
