import { describe, expect, it } from '@jest/globals';
import { breakerSettings } from '../breaker/breaker-settings.ts';
import { initialBreakerState, type BreakerState } from '../breaker/breaker-transitions.ts';
import { slowStartFactor } from './slow-start.ts';

const settings = breakerSettings();
const recovered: BreakerState = { ...initialBreakerState(1_000, settings), reason: 'probes-succeeded' };

describe('slow start of a provider whose breaker closed again', () => {
  it.each([
    {
      name: 'starts at the minimum share the moment it closes',
      state: recovered,
      now: 1_000,
      window: 10_000,
      factor: 0.1,
    },
    { name: 'ramps up linearly over the window', state: recovered, now: 6_000, window: 10_000, factor: 0.5 },
    {
      name: 'takes its full share once the window has passed',
      state: recovered,
      now: 11_000,
      window: 10_000,
      factor: 1,
    },
    { name: 'does not slow-start without a window', state: recovered, now: 1_000, window: 0, factor: 1 },
    {
      name: 'does not slow-start a provider that never failed',
      state: initialBreakerState(1_000, settings),
      now: 1_000,
      window: 10_000,
      factor: 1,
    },
    {
      name: 'does not apply to a half-open provider (its probes decide)',
      state: {
        phase: 'half-open',
        generation: 3,
        since: 1_000,
        reason: 'backoff-elapsed',
        backoffMs: 1,
        probesInFlight: 0,
        successes: 0,
      } as const,
      now: 2_000,
      window: 10_000,
      factor: 1,
    },
  ])('$name', ({ state, now, window, factor }) => {
    expect(slowStartFactor(state, now, window)).toBeCloseTo(factor, 10);
  });
});
