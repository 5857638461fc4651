import { describe, expect, it } from '@jest/globals';
import { parseGoDuration } from './go-duration.ts';
import { EXHAUSTED_HOLD_MS, ProviderRateLimits } from './provider-rate-limits.ts';

describe('reading Go-style reset durations', () => {
  it.each([
    ['1s', 1_000],
    ['6m0s', 360_000],
    ['12ms', 12],
    ['1h2m3.5s', 3_723_500],
    ['8.64s', 8_640],
    ['20', 20_000],
    ['', undefined],
    ['soon', undefined],
    ['5x', undefined],
    ['1s junk', undefined],
  ])('"%s" is %p ms', (text, ms) => {
    const got = parseGoDuration(text);
    if (ms === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(ms, 6);
  });
});

describe('a provider’s announced rate-limit budgets', () => {
  const budget = (remaining: number, limit: number | undefined, fullAt: number | undefined) => ({
    remaining,
    limit,
    fullAt,
  });

  it.each([
    {
      name: 'full headroom with nothing announced',
      snapshot: undefined,
      now: 0,
      headroom: 1,
      until: undefined,
    },
    {
      name: 'full headroom above a tenth left',
      snapshot: { requests: budget(50, 100, 10_000) },
      now: 0,
      headroom: 1,
      until: undefined,
    },
    {
      name: 'half headroom with 5 % of requests left',
      snapshot: { requests: budget(5, 100, 10_000) },
      now: 0,
      headroom: 0.5,
      until: undefined,
    },
    {
      name: 'the scarcer of requests and tokens decides',
      snapshot: { requests: budget(90, 100, 10_000), tokens: budget(200, 10_000, 10_000) },
      now: 0,
      headroom: 0.2,
      until: undefined,
    },
    {
      name: 'headroom comes back as the budget refills towards its reset',
      snapshot: { requests: budget(0, 100, 10_000) },
      now: 500,
      headroom: 0.5, // 5 of 100 back after a twentieth of the way to full: half of the low-water mark
      until: undefined,
    },
    {
      name: 'a used-up budget holds the provider until one unit is back, not until it is full',
      snapshot: { requests: budget(0, 100, 60_000) },
      now: 0,
      headroom: 0,
      until: 600, // a 60 s window of 100 requests gives one back every 0.6 s
    },
    {
      name: 'a used-up budget is free again once one unit is back',
      snapshot: { requests: budget(0, 100, 60_000) },
      now: 600,
      headroom: 0.1, // 1 of 100: a tenth of the low-water mark
      until: undefined,
    },
    {
      name: 'a used-up budget of one request per window holds for the whole window, as it must',
      snapshot: { requests: budget(0, 1, 60_000) },
      now: 0,
      headroom: 0,
      until: 60_000,
    },
    {
      name: 'a used-up budget without a limit holds only for the short hold',
      snapshot: { tokens: budget(0, undefined, 30_000) },
      now: 0,
      headroom: 1,
      until: EXHAUSTED_HOLD_MS,
    },
    {
      name: 'a used-up budget without a reset holds only for the short hold',
      snapshot: { requests: budget(0, 10, undefined) },
      now: 0,
      headroom: 0,
      until: EXHAUSTED_HOLD_MS,
    },
    {
      name: 'a used-up budget without a reset is tried again after the short hold',
      snapshot: { requests: budget(0, 10, undefined) },
      now: EXHAUSTED_HOLD_MS,
      headroom: 1,
      until: undefined,
    },
    {
      name: 'a budget whose reset has passed counts as full',
      snapshot: { tokens: budget(0, 1000, 30_000) },
      now: 30_000,
      headroom: 1,
      until: undefined,
    },
  ])('$name', ({ snapshot, now, headroom, until }) => {
    const limits = new ProviderRateLimits();
    limits.update(snapshot, 0);
    expect(limits.headroom(now)).toBeCloseTo(headroom, 9);
    expect(limits.exhaustedUntil(now)).toBe(until);
  });

  it('keeps the last known budget of a kind a later response does not announce', () => {
    const limits = new ProviderRateLimits();
    limits.update({ requests: budget(0, 10, 5_000) }, 0);
    limits.update({ tokens: budget(900, 1000, 5_000) }, 100);
    expect(limits.exhaustedUntil(100)).toBe(500);
  });

  it('reads a refill from when the budget was announced, not from now', () => {
    const limits = new ProviderRateLimits();
    limits.update({ requests: budget(0, 100, 70_000) }, 10_000);
    expect(limits.exhaustedUntil(10_000)).toBe(10_600);
  });
});
