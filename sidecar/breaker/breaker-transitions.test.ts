import { describe, expect, it } from '@jest/globals';
import { breakerSettings } from './breaker-settings.ts';
import {
  canAdmit,
  initialBreakerState,
  step,
  type BreakerEvent,
  type BreakerState,
  type HalfOpenState,
  type OpenState,
} from './breaker-transitions.ts';

const settings = breakerSettings({
  consecutiveFailures: 2,
  baseBackoffMs: 1_000,
  maxBackoffMs: 3_000,
  halfOpenProbes: 2,
  successesToClose: 2,
});

const closed = { ...initialBreakerState(0, settings), generation: 4 };
const open: OpenState = {
  phase: 'open',
  generation: 5,
  since: 10,
  reason: 'probe-failed',
  backoffMs: 2_000,
  until: 2_010,
};
const halfOpen: HalfOpenState = {
  phase: 'half-open',
  generation: 6,
  since: 2_010,
  reason: 'backoff-elapsed',
  backoffMs: 2_000,
  probesInFlight: 1,
  successes: 0,
};

const outcome = (verdict: 'success' | 'failure' | 'neutral', generation: number): BreakerEvent => ({
  kind: 'outcome',
  verdict,
  generation,
});

describe('breaker transitions, one (state, event, now) at a time', () => {
  const cases: {
    name: string;
    from: BreakerState;
    event: BreakerEvent;
    now: number;
    expected: Partial<BreakerState>;
  }[] = [
    {
      name: 'a successful active probe turns an open breaker half-open at once, keeping its backoff level',
      from: open,
      event: { kind: 'probe-ok' },
      now: 500,
      expected: {
        phase: 'half-open',
        generation: 6,
        since: 500,
        reason: 'active-probe-succeeded',
        backoffMs: 2_000,
        probesInFlight: 0,
      },
    },
    {
      name: 'a successful active probe leaves a closed breaker alone',
      from: closed,
      event: { kind: 'probe-ok' },
      now: 500,
      expected: { phase: 'closed', generation: 4 },
    },
    {
      name: 'a successful active probe leaves a half-open breaker to its real probes',
      from: halfOpen,
      event: { kind: 'probe-ok' },
      now: 2_500,
      expected: { phase: 'half-open', generation: 6, probesInFlight: 1 },
    },
    {
      name: 'a first failure while closed only counts',
      from: closed,
      event: outcome('failure', 4),
      now: 100,
      expected: { phase: 'closed', generation: 4, consecutiveFailures: 1 },
    },
    {
      name: 'the Nth failure in a row opens for the base backoff',
      from: { ...closed, consecutiveFailures: 1 },
      event: outcome('failure', 4),
      now: 100,
      expected: {
        phase: 'open',
        generation: 5,
        since: 100,
        reason: 'consecutive-failures',
        backoffMs: 1_000,
        until: 1_100,
      },
    },
    {
      name: 'a failure of a request from another generation changes nothing',
      from: { ...closed, consecutiveFailures: 1 },
      event: outcome('failure', 3),
      now: 100,
      expected: { phase: 'closed', generation: 4, consecutiveFailures: 1 },
    },
    {
      name: 'an open breaker one millisecond before its deadline stays open',
      from: open,
      event: { kind: 'admit' },
      now: 2_009,
      expected: open,
    },
    {
      name: 'an open breaker at its deadline is half-open with no probes out',
      from: open,
      event: { kind: 'admit' },
      now: 2_010,
      expected: { ...halfOpen, probesInFlight: 1 },
    },
    {
      name: 'admitting in half-open takes a probe slot',
      from: halfOpen,
      event: { kind: 'admit' },
      now: 2_020,
      expected: { phase: 'half-open', probesInFlight: 2 },
    },
    {
      name: 'admitting in half-open with every probe slot taken changes nothing',
      from: { ...halfOpen, probesInFlight: 2 },
      event: { kind: 'admit' },
      now: 2_020,
      expected: { phase: 'half-open', probesInFlight: 2 },
    },
    {
      name: 'a failed probe reopens with the backoff doubled but capped',
      from: halfOpen,
      event: outcome('failure', 6),
      now: 2_500,
      expected: {
        phase: 'open',
        generation: 7,
        since: 2_500,
        reason: 'probe-failed',
        backoffMs: 3_000,
        until: 5_500,
      },
    },
    {
      name: 'a successful probe short of successesToClose counts and frees its slot',
      from: halfOpen,
      event: outcome('success', 6),
      now: 2_500,
      expected: { phase: 'half-open', generation: 6, probesInFlight: 0, successes: 1 },
    },
    {
      name: 'the last needed successful probe closes with fresh counts',
      from: { ...halfOpen, successes: 1 },
      event: outcome('success', 6),
      now: 2_500,
      expected: {
        phase: 'closed',
        generation: 7,
        since: 2_500,
        reason: 'probes-succeeded',
        consecutiveFailures: 0,
      },
    },
    {
      name: 'a neutral probe only frees its slot',
      from: halfOpen,
      event: outcome('neutral', 6),
      now: 2_500,
      expected: { phase: 'half-open', generation: 6, probesInFlight: 0, successes: 0 },
    },
  ];

  it.each(cases)('$name', ({ from, event, now, expected }) => {
    expect(step(from, event, settings, { now })).toMatchObject(expected);
  });

  it.each([
    { name: 'closed admits', state: closed, admits: true },
    { name: 'open does not admit', state: open, admits: false },
    { name: 'half-open admits while probe slots are free', state: halfOpen, admits: true },
    {
      name: 'half-open does not admit when all probe slots are taken',
      state: { ...halfOpen, probesInFlight: 2 },
      admits: false,
    },
  ])('$name', ({ state, admits }) => {
    expect(canAdmit(state, settings)).toBe(admits);
  });
});
