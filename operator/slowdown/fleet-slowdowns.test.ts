import { describe, expect, it } from '@jest/globals';
import {
  MAX_SIGHTING_MS,
  fleetSlowdowns,
  pruneSightings,
  recordSightings,
  slowdownQuorum,
  slowdownsMoved,
  type Slowdown,
  type SlowdownSightings,
} from './fleet-slowdowns.ts';

const NOW = 1_000_000;
const POOL = new Set(['alpha', 'beta']);
const seen = (factor: number, until = NOW + 12_000, provider = 'alpha'): Slowdown => ({
  provider,
  model: 'chat',
  factor,
  until,
});

/** The sightings after each sidecar's report in turn, all at NOW. */
function after(reports: readonly (readonly [string, readonly Slowdown[] | undefined])[]): SlowdownSightings {
  return reports.reduce<SlowdownSightings>(
    (known, [sidecar, slowdowns]) => recordSightings(known, sidecar, slowdowns, NOW, POOL),
    new Map(),
  );
}

describe('the fleet’s slowdowns from the sidecars’ sightings', () => {
  it.each([
    {
      name: 'one sidecar alone moves nothing (its bad luck stays its own)',
      reports: [['a', [seen(4)]]],
      expected: [],
    },
    {
      name: 'two sidecars that see it publish the smaller factor and the earlier lapse of the two',
      reports: [
        ['a', [seen(4, NOW + 12_000)]],
        ['b', [seen(2.5, NOW + 9_000)]],
      ],
      expected: [seen(2.5, NOW + 9_000)],
    },
    {
      name: 'of three, the factor and lapse that two of them share',
      reports: [
        ['a', [seen(4)]],
        ['b', [seen(2.5)]],
        ['c', [seen(3)]],
      ],
      expected: [seen(3)],
    },
    {
      name: 'a sidecar that leaves the target out of its next report withdraws its sighting',
      reports: [
        ['a', [seen(4)]],
        ['b', [seen(3)]],
        ['b', []],
      ],
      expected: [],
    },
    {
      name: 'a report without the field (an older sidecar) keeps what that sidecar said before',
      reports: [
        ['a', [seen(4)]],
        ['b', [seen(3)]],
        ['b', undefined],
      ],
      expected: [seen(3)],
    },
    {
      name: 'two sightings of different providers are not a quorum for either',
      reports: [
        ['a', [seen(4)]],
        ['b', [seen(4, NOW + 12_000, 'beta')]],
      ],
      expected: [],
    },
    {
      name: 'a provider that left the pool is dropped',
      reports: [
        ['a', [seen(4, NOW + 12_000, 'gone')]],
        ['b', [seen(4, NOW + 12_000, 'gone')]],
      ],
      expected: [],
    },
  ] as const)('$name', ({ reports, expected }) => {
    expect(fleetSlowdowns(after(reports), NOW)).toEqual(expected);
  });

  it('keeps no sighting further ahead than MAX_SIGHTING_MS, and lets them lapse', () => {
    const far = after([
      ['a', [seen(4, NOW + 3_600_000)]],
      ['b', [seen(4, NOW + 3_600_000)]],
    ]);
    expect(fleetSlowdowns(far, NOW)).toEqual([seen(4, NOW + MAX_SIGHTING_MS)]);
    expect(fleetSlowdowns(far, NOW + MAX_SIGHTING_MS)).toEqual([]);
    expect(pruneSightings(far, NOW + MAX_SIGHTING_MS, POOL).size).toBe(0);
  });
});

describe('how many sidecars must see a slowdown', () => {
  it.each([
    { name: 'two in a small fleet', sidecars: 3, quorum: 2 },
    { name: 'two before any sidecar was counted', sidecars: 0, quorum: 2 },
    { name: 'a tenth of fifty', sidecars: 50, quorum: 5 },
    { name: 'a tenth of a thousand', sidecars: 1_000, quorum: 100 },
  ])('$name', ({ sidecars, quorum }) => {
    expect(slowdownQuorum(sidecars)).toBe(quorum);
  });

  it('keeps a published slowdown while any sidecar still sees it, at what they share, and only that long', () => {
    const one = after([['a', [seen(4)]]]);
    const two = recordSightings(one, 'b', [seen(3)], NOW, POOL);
    const held = new Set(['alpha\u0000chat']);
    expect(fleetSlowdowns(one, NOW, () => 3)).toEqual([]);
    expect(fleetSlowdowns(one, NOW, () => 3, held)).toEqual([seen(4)]);
    expect(fleetSlowdowns(two, NOW, () => 3, held)).toEqual([seen(3)]);
    expect(fleetSlowdowns(recordSightings(one, 'a', [], NOW, POOL), NOW, () => 3, held)).toEqual([]);
  });

  it('publishes nothing until the provider’s quorum sees it', () => {
    const two = after([
      ['a', [seen(4)]],
      ['b', [seen(3)]],
    ]);
    const three = recordSightings(two, 'c', [seen(2.5)], NOW, POOL);
    expect(fleetSlowdowns(two, NOW, () => 3)).toEqual([]);
    expect(fleetSlowdowns(three, NOW, () => 3)).toEqual([seen(2.5)]);
  });
});

describe('whether the fleet’s slowdowns moved enough to push', () => {
  it.each([
    { name: 'the same list does not', published: [seen(3)], next: [seen(3)], moved: false },
    { name: 'a target that came does', published: [], next: [seen(3)], moved: true },
    { name: 'a target that went does', published: [seen(3)], next: [], moved: true },
    {
      name: 'a factor that wobbled by a tenth does not',
      published: [seen(3)],
      next: [seen(3.3)],
      moved: false,
    },
    { name: 'a factor that rose by a third does', published: [seen(3)], next: [seen(4)], moved: true },
    {
      name: 'a probe interval that doubled does',
      published: [{ ...seen(3), probeEveryMs: 100_000 }],
      next: [{ ...seen(3), probeEveryMs: 200_000 }],
      moved: true,
    },
    {
      name: 'a probe interval that moved by a tenth (a sidecar joined) does not',
      published: [{ ...seen(3), probeEveryMs: 100_000 }],
      next: [{ ...seen(3), probeEveryMs: 110_000 }],
      moved: false,
    },
    {
      name: 'probes asked for where there were none does',
      published: [seen(3)],
      next: [{ ...seen(3), probeEveryMs: 100_000 }],
      moved: true,
    },
    {
      name: 'a renewal shorter than the renewal step does not',
      published: [seen(3, NOW + 12_000)],
      next: [seen(3, NOW + 15_000)],
      moved: false,
    },
    {
      name: 'a renewal past the renewal step does',
      published: [seen(3, NOW + 12_000)],
      next: [seen(3, NOW + 16_001)],
      moved: true,
    },
  ])('$name', ({ published, next, moved }) => {
    expect(slowdownsMoved(published, next, 4_000)).toBe(moved);
  });
});
