import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../core/clock.ts';
import { RateLimitWindow } from './rate-limit-window.ts';

const limits = { requestsPerMinute: 3, tokensPerMinute: 100 };

describe('rate-limit window', () => {
  it('reports the whole budget and no reset before any use', () => {
    const window = new RateLimitWindow(new ManualClock(1000));
    expect(window.state(limits)).toEqual({
      limitRequests: 3,
      remainingRequests: 3,
      resetRequestsMs: 0,
      limitTokens: 100,
      remainingTokens: 100,
      resetTokensMs: 0,
    });
  });

  it('counts use and the time left until the window restarts', () => {
    const clock = new ManualClock(1000);
    const window = new RateLimitWindow(clock);
    window.record(1, 40);
    clock.advance(15_000);
    window.record(1, 30);
    expect(window.state(limits)).toMatchObject({
      remainingRequests: 1,
      resetRequestsMs: 45_000,
      remainingTokens: 30,
      resetTokensMs: 45_000,
    });
  });

  it('never reports a negative remainder', () => {
    const window = new RateLimitWindow(new ManualClock());
    window.record(5, 500);
    expect(window.state(limits)).toMatchObject({ remainingRequests: 0, remainingTokens: 0 });
  });

  it('restores the budget once the window has passed', () => {
    const clock = new ManualClock();
    const window = new RateLimitWindow(clock);
    window.record(3, 100);
    clock.advance(60_000);
    expect(window.state(limits)).toMatchObject({
      remainingRequests: 3,
      remainingTokens: 100,
      resetRequestsMs: 0,
    });
  });
});
