import { describe, expect, it } from '@jest/globals';
import { QuotaBudget } from './quota-budget.ts';

/** Sends at most one request per `stepMs` while the budget admits it, from `from` to `to`; counts what it took. */
function sendAsFastAsAllowed(
  budget: QuotaBudget,
  from: number,
  to: number,
  stepMs: number,
  tokens = 0,
): number {
  let taken = 0;
  for (let t = from; t < to; t += stepMs) if (budget.tryTake(t, tokens)) taken++;
  return taken;
}

describe('a sidecar’s quota budget at one provider', () => {
  it('admits everything when the provider has no limit', () => {
    const budget = new QuotaBudget({}, 0);
    expect(sendAsFastAsAllowed(budget, 0, 1_000, 1)).toBe(1_000);
    expect(budget.blocked(1_000)).toBeUndefined();
  });

  it.each([
    { perMinute: 120, max: 126, min: 120 },
    { perMinute: 600, max: 630, min: 600 },
    { perMinute: 7, max: 8, min: 7 },
  ])(
    'sends no more than $perMinute per minute plus 5 % (and no less) when asked for more',
    ({ perMinute, max, min }) => {
      const budget = new QuotaBudget({ requestsPerMinute: perMinute }, 0);
      const taken = sendAsFastAsAllowed(budget, 0, 60_000, 5);
      expect(taken).toBeLessThanOrEqual(max);
      expect(taken).toBeGreaterThanOrEqual(min);
    },
  );

  it('keeps within the share over any later minute too', () => {
    const budget = new QuotaBudget({ requestsPerMinute: 120 }, 0);
    sendAsFastAsAllowed(budget, 0, 90_000, 10);
    expect(sendAsFastAsAllowed(budget, 90_000, 150_000, 10)).toBeLessThanOrEqual(120);
  });

  it('says the share is used up, and until when, once the burst is spent', () => {
    const budget = new QuotaBudget({ requestsPerMinute: 60 }, 0); // one a second, a burst of 3
    expect(sendAsFastAsAllowed(budget, 0, 3, 1)).toBe(3);
    expect(budget.blocked(3)).toEqual({ why: 'request quota share used up', until: 1_000 });
    expect(budget.blocked(1_000)).toBeUndefined();
  });

  it('blocks on tokens once a request’s estimate drove the token bucket below zero, until it refills', () => {
    const budget = new QuotaBudget({ tokensPerMinute: 60_000 }, 0); // 1 token/ms, a burst of 3 000
    expect(budget.tryTake(0, 5_000)).toBe(true);
    expect(budget.blocked(0)).toEqual({ why: 'token quota share used up', until: 2_001 });
    expect(budget.tryTake(2_000, 10)).toBe(false);
    expect(budget.tryTake(2_001, 10)).toBe(true);
  });

  it('never admits again with a share of 0, and says no end is known', () => {
    const budget = new QuotaBudget({ requestsPerMinute: 0 }, 0);
    expect(budget.tryTake(0, 0)).toBe(true); // the one request the minimal burst holds
    expect(budget.blocked(60_000)).toEqual({ why: 'request quota share used up', until: undefined });
  });

  it('follows a new share at once, keeping what was left (clamped to the new burst)', () => {
    const budget = new QuotaBudget({ requestsPerMinute: 1_200 }, 0); // burst 60
    budget.setRates({ requestsPerMinute: 60 }, 0); // burst 3
    expect(sendAsFastAsAllowed(budget, 0, 10, 1)).toBe(3);
    budget.setRates({ requestsPerMinute: 6_000 }, 10);
    expect(budget.blocked(20)).toBeUndefined(); // 100 a second: the next one within 10 ms
  });
});
