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

describe('settling a token estimate against the usage the answer reports', () => {
  it('gives back what the estimate took in excess, and takes what it missed', () => {
    const budget = new QuotaBudget({ tokensPerMinute: 60_000 }, 0); // 1 token/ms, a burst of 3 000
    expect(budget.tryTake(0, 5_000)).toBe(true); // level −2 000
    budget.settleTokens(0, 5_000, 1_000); // level 2 000
    expect(budget.blocked(0)).toBeUndefined();
    expect(budget.tryTake(0, 500)).toBe(true); // level 1 500
    budget.settleTokens(0, 500, 4_000); // level −2 000
    expect(budget.blocked(0)).toEqual({ why: 'token quota share used up', until: 2_001 });
  });

  it('never gives back beyond the burst', () => {
    const budget = new QuotaBudget({ tokensPerMinute: 60_000 }, 0);
    budget.settleTokens(0, 100_000, 0);
    expect(budget.tryTake(0, 3_000)).toBe(true);
    expect(budget.blocked(0)).toEqual({ why: 'token quota share used up', until: 1 });
  });
});

/**
 * A fleet in virtual time: sidecars with equal shares of a tokens-per-minute limit, each offering a request every
 * 10 ms (far more than the limit), every request held for its latency before its usage is known. Counts the tokens
 * the provider receives (at the time each request is sent) over every minute-long window.
 */
function simulateFleet(options: {
  limit: number;
  sidecars: number;
  estimate: number;
  actual: (i: number) => number;
  latencyMs: number;
  settle: boolean;
  durationMs: number;
}): { minWindow: number; maxWindow: number } {
  const share = options.limit / options.sidecars;
  const budgets = Array.from(
    { length: options.sidecars },
    () => new QuotaBudget({ tokensPerMinute: share }, 0),
  );
  const sentPerSecond = new Array<number>(Math.ceil(options.durationMs / 1000)).fill(0);
  const pending: { at: number; budget: QuotaBudget; actual: number }[] = [];
  let n = 0;
  for (let t = 0; t < options.durationMs; t += 10) {
    while (pending.length > 0 && (pending[0]?.at ?? Infinity) <= t) {
      const done = pending.shift();
      if (done !== undefined && options.settle) done.budget.settleTokens(t, options.estimate, done.actual);
    }
    for (const budget of budgets) {
      if (!budget.tryTake(t, options.estimate)) continue;
      const actual = options.actual(n++);
      const second = Math.floor(t / 1000);
      sentPerSecond[second] = (sentPerSecond[second] ?? 0) + actual;
      pending.push({ at: t + options.latencyMs, budget, actual });
    }
  }
  // Every minute-long window, after the first 10 s (the buckets start full).
  const windows: number[] = [];
  for (let s = 10; s + 60 <= sentPerSecond.length; s++)
    windows.push(sentPerSecond.slice(s, s + 60).reduce((a, b) => a + b, 0));
  return { minWindow: Math.min(...windows), maxWindow: Math.max(...windows) };
}

/** Outputs spread over 20–400 tokens, deterministically. */
const spreadOutput = (i: number) => 100 + 20 + ((i * 7919) % 381);

describe('a fleet’s token use under a tokens-per-minute limit, demand far above it', () => {
  it.each([
    {
      name: 'stays within 5 % of the limit and uses at least 90 % of it when estimates (max_tokens) far exceed the usage',
      estimate: 1_100,
      actual: spreadOutput,
      settle: true,
    },
    {
      name: 'stays within 5 % and uses at least 90 % when the estimate falls short of the usage (no max_tokens)',
      estimate: 356,
      actual: (i: number) => 100 + ((i * 7919) % 700),
      settle: true,
    },
  ])('$name', ({ estimate, actual, settle }) => {
    const limit = 60_000;
    const { minWindow, maxWindow } = simulateFleet({
      limit,
      sidecars: 3,
      estimate,
      actual,
      latencyMs: 1_500,
      settle,
      durationMs: 300_000,
    });
    expect(maxWindow).toBeLessThanOrEqual(limit * 1.05);
    expect(minWindow).toBeGreaterThanOrEqual(limit * 0.9);
  });

  it('would use a fraction of the limit if estimates were never settled (why the budget settles them)', () => {
    const { maxWindow } = simulateFleet({
      limit: 60_000,
      sidecars: 3,
      estimate: 1_100,
      actual: spreadOutput,
      latencyMs: 1_500,
      settle: false,
      durationMs: 300_000,
    });
    expect(maxWindow).toBeLessThan(60_000 * 0.5);
  });
});
