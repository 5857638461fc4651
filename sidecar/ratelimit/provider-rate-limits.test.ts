import { describe, expect, it } from '@jest/globals';
import { parseGoDuration } from './go-duration.ts';
import { ProviderRateLimits } from './provider-rate-limits.ts';

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
  const budget = (remaining: number, limit: number, resetAt: number) => ({ remaining, limit, resetAt });

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
      name: 'used up until the reset',
      snapshot: { tokens: budget(0, 1000, 30_000) },
      now: 0,
      headroom: 0,
      until: 30_000,
    },
    {
      name: 'a budget whose reset has passed counts as refilled',
      snapshot: { tokens: budget(0, 1000, 30_000) },
      now: 30_000,
      headroom: 1,
      until: undefined,
    },
  ])('$name', ({ snapshot, now, headroom, until }) => {
    const limits = new ProviderRateLimits();
    limits.update(snapshot);
    expect(limits.headroom(now)).toBeCloseTo(headroom, 9);
    expect(limits.exhaustedUntil(now)).toBe(until);
  });

  it('keeps the last known budget of a kind a later response does not announce', () => {
    const limits = new ProviderRateLimits();
    limits.update({ requests: budget(0, 10, 5_000) });
    limits.update({ tokens: budget(900, 1000, 5_000) });
    expect(limits.exhaustedUntil(0)).toBe(5_000);
  });
});
