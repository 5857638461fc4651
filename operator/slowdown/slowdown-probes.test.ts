import { describe, expect, it } from '@jest/globals';
import type { Slowdown } from '../../api/sync/sync-protocol.ts';
import { recordSightings, type SlowdownSightings } from './fleet-slowdowns.ts';
import {
  SLOWDOWN_PROBES,
  fleetProbeIntervalMs,
  forgetRecovered,
  recordRecoveries,
  withProbes,
  type Recovery,
} from './slowdown-probes.ts';

const NOW = 1_000_000;
const POOL = new Set(['alpha', 'beta']);
const slow = (provider = 'alpha'): Slowdown => ({ provider, model: 'chat', factor: 4, until: NOW + 12_000 });
const recovered = (at: number, provider = 'alpha'): Recovery => ({ provider, model: 'chat', at });

describe('how often the fleet probes a slowdown', () => {
  it.each([
    { name: 'every 2 s when just published', ageMs: 0, rps: undefined, intervalMs: 2_000 },
    {
      name: 'still every 2 s at 15 s (a quarter of the age rounds down to the minimum)',
      ageMs: 15_000,
      rps: undefined,
      intervalMs: 2_000,
    },
    { name: 'every 4 s from 16 s', ageMs: 16_000, rps: undefined, intervalMs: 4_000 },
    { name: 'every 8 s from 32 s', ageMs: 32_000, rps: undefined, intervalMs: 8_000 },
    {
      name: 'never less often than every 8 s, however old, in a busy pool',
      ageMs: 3_600_000,
      rps: 1_000,
      intervalMs: 8_000,
    },
    {
      name: 'no more than a quarter of a percent of the pool’s requests: every 20 s at 20 requests a second',
      ageMs: 0,
      rps: 20,
      intervalMs: 20_000,
    },
    {
      name: 'every 6.7 s at 60 requests a second, until the age asks for 8 s',
      ageMs: 10_000,
      rps: 60,
      intervalMs: 1000 / (0.0025 * 60),
    },
    { name: 'at a trickle, still every 30 s', ageMs: 0, rps: 0.5, intervalMs: 30_000 },
    { name: 'with no requests at all, every 30 s', ageMs: 0, rps: 0, intervalMs: 30_000 },
  ])('$name', ({ ageMs, rps, intervalMs }) => {
    expect(fleetProbeIntervalMs(ageMs, rps)).toBeCloseTo(intervalMs, 6);
  });

  it('asks each sidecar for its part of the fleet’s rate, by the slowdown’s own age', () => {
    const since = new Map([
      ['alpha\u0000chat', NOW - 40_000],
      ['beta\u0000chat', NOW],
    ]);
    expect(withProbes([slow('alpha'), slow('beta')], since, 50, NOW)).toEqual([
      { ...slow('alpha'), probeEveryMs: 400_000 },
      { ...slow('beta'), probeEveryMs: 100_000 },
    ]);
  });

  it('thins the probes of a quiet pool: each of 10 sidecars every 200 s at 20 requests a second', () => {
    expect(withProbes([slow()], new Map(), 10, NOW, 20)[0]?.probeEveryMs).toBe(200_000);
  });

  it('counts a pool with no sidecar known yet as one', () => {
    expect(withProbes([slow()], new Map(), 0, NOW)[0]?.probeEveryMs).toBe(SLOWDOWN_PROBES.minIntervalMs);
  });
});

describe('the recoveries the operator publishes', () => {
  it.each([
    {
      name: 'a reported recovery is published',
      known: [],
      reported: [recovered(NOW - 10)],
      expected: [recovered(NOW - 10)],
    },
    {
      name: 'the newest of a target’s recoveries wins',
      known: [recovered(NOW - 5_000)],
      reported: [recovered(NOW - 10)],
      expected: [recovered(NOW - 10)],
    },
    {
      name: 'an older report of it does not bring back an earlier time',
      known: [recovered(NOW - 10)],
      reported: [recovered(NOW - 5_000)],
      expected: [recovered(NOW - 10)],
    },
    {
      name: 'one is held for 30 s, then dropped',
      known: [recovered(NOW - 30_000), recovered(NOW - 29_999, 'beta')],
      reported: undefined,
      expected: [recovered(NOW - 29_999, 'beta')],
    },
    {
      name: 'one of a provider no longer in the pool is dropped',
      known: [],
      reported: [recovered(NOW, 'gone')],
      expected: [],
    },
  ])('$name', ({ known, reported, expected }) => {
    expect(recordRecoveries(known, reported, NOW, POOL)).toEqual(expected);
  });
});

describe('the sightings after a recovery', () => {
  const sightings: SlowdownSightings = [
    ['s1', [slow('alpha'), slow('beta')]],
    ['s2', [slow('alpha')]],
  ].reduce<SlowdownSightings>(
    (known, [sidecar, seen]) => recordSightings(known, sidecar as string, seen as Slowdown[], NOW, POOL),
    new Map(),
  );
  it.each([
    {
      name: 'a recovered target’s sightings are all dropped, the others kept',
      recovered: [recovered(NOW)],
      left: ['beta\u0000chat'],
    },
    {
      name: 'no recovery leaves them as they are',
      recovered: undefined,
      left: ['alpha\u0000chat', 'beta\u0000chat'],
    },
  ])('$name', ({ recovered: r, left }) => {
    expect([...forgetRecovered(sightings, r).keys()].sort()).toEqual(left);
  });
});
