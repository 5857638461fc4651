import { describe, expect, it } from '@jest/globals';
import { testRuntime } from '../routing/test-runtime.ts';
import type { PoolRuntime } from '../routing/pool-runtime.ts';
import { SlowdownWatch, slowdownsSeen, takeRecoveries } from './slowdown-signal.ts';

const NOW = 1_000_000;
const SETTINGS = { reportAt: 2, minSamples: 20, ttlMs: 12_000, watchMs: 250, recoveredAt: 1.5 };

function runtime(): PoolRuntime {
  const r = testRuntime({ providers: [{ name: 'a' }, { name: 'b' }] }, NOW);
  // Both answered in about a second for a while.
  for (const t of r.models.get('chat') ?? [])
    for (let i = 0; i < 20; i++) t.stats.recordLatency(NOW - 20_000 + i * 1_000, 1_000);
  return r;
}

const target = (r: PoolRuntime, provider: string) => {
  const t = r.models.get('chat')?.find((x) => x.provider.name === provider);
  if (t === undefined) throw new Error(`no target ${provider}`);
  return t;
};

describe('what a sidecar tells the fleet about targets turning slow', () => {
  it.each([
    { name: 'nothing while every target answers as usual', slow: () => undefined, expected: [] },
    {
      name: 'a target whose answers turned five times slower, good for the signal’s time to live',
      slow: (r: PoolRuntime) => {
        for (let i = 0; i < 3; i++) target(r, 'a').stats.recordLatency(NOW - 3 + i, 5_000);
      },
      expected: [{ provider: 'a', model: 'chat', until: NOW + 12_000 }],
    },
    {
      name: 'a target whose requests in flight have waited three times the usual, before any slow answer',
      slow: (r: PoolRuntime) => {
        target(r, 'a').stats.start(NOW - 3_000);
      },
      expected: [{ provider: 'a', model: 'chat', until: NOW + 12_000 }],
    },
    {
      name: 'not a target that answered one slow answer in the usual tail',
      slow: (r: PoolRuntime) => {
        target(r, 'a').stats.recordLatency(NOW, 1_800);
      },
      expected: [],
    },
  ])('$name', ({ slow, expected }) => {
    const r = runtime();
    slow(r);
    const seen = slowdownsSeen(r, NOW, SETTINGS);
    expect(seen.map(({ factor: _f, ...rest }) => rest)).toEqual(expected);
    for (const s of seen) expect(s.factor).toBeGreaterThanOrEqual(SETTINGS.reportAt);
  });

  it('says nothing of a target whose usual latency it learned from too few answers', () => {
    const r = runtime();
    // Twenty answers so far (runtime()), and a request in flight for three times the usual.
    target(r, 'a').stats.start(NOW - 3_000);
    const tooFew = { ...SETTINGS, minSamples: 21 };
    expect(slowdownsSeen(r, NOW, tooFew)).toEqual([]);
    expect(slowdownsSeen(r, NOW, SETTINGS)).toHaveLength(1);
  });

  it('reports only its own evidence, never the fleet’s signal it was given', () => {
    const r = runtime();
    target(r, 'a').health.fleetSlowdown = { factor: 4, until: NOW + 10_000 };
    expect(slowdownsSeen(r, NOW, SETTINGS)).toEqual([]);
  });
});

describe('looking for a target newly over the line', () => {
  const s = (provider: string) => ({ provider, model: 'chat', factor: 3, until: NOW });
  it.each([
    { name: 'a target crossing the line is news', looks: [[], [s('a')]], news: [false, true] },
    { name: 'one staying over it is not news again', looks: [[s('a')], [s('a')]], news: [true, false] },
    {
      name: 'one crossing it again after dropping below is news again',
      looks: [[s('a')], [], [s('a')]],
      news: [true, false, true],
    },
    {
      name: 'a second target crossing while the first stays is news',
      looks: [[s('a')], [s('a'), s('b')]],
      news: [true, true],
    },
  ])('$name', ({ looks, news }) => {
    const watch = new SlowdownWatch();
    expect(looks.map((seen) => watch.crossed(seen))).toEqual(news);
  });
});

describe('what a sidecar takes for the end of a slowdown the fleet holds', () => {
  const HELD_AT = NOW - 10_000;
  /** The fleet holds `a` slow since HELD_AT, and this sidecar remembers it four times slower. */
  function held(): PoolRuntime {
    const r = runtime();
    const a = target(r, 'a');
    a.health.fleetSlowdown = { factor: 4, until: NOW + 10_000, probeEveryMs: 60_000 };
    a.health.slowdownProbe.hold(a.health.fleetSlowdown, HELD_AT, a.stats.usualLatencyMs);
    for (let i = 0; i < 3; i++) a.stats.recordLatency(HELD_AT - 3_000 + i, 5_000);
    return r;
  }
  const answer = (r: PoolRuntime, startedAt: number, latencyMs: number) =>
    target(r, 'a')
      .stats.start(startedAt)
      .end(startedAt + latencyMs, { ok: true });

  it.each([
    {
      name: 'a probe sent during the spell that answered at the usual speed is a recovery, dated by its answer',
      answered: (r: PoolRuntime) => answer(r, NOW - 2_000, 1_100),
      expected: [{ provider: 'a', model: 'chat', at: NOW - 900 }],
    },
    {
      name: 'a probe that came back still slow is none',
      answered: (r: PoolRuntime) => answer(r, NOW - 6_000, 5_000),
      expected: [],
    },
    {
      name: 'one at 1.6× the usual before the spell (between the recovery line and the report line) is none',
      answered: (r: PoolRuntime) => answer(r, NOW - 3_000, 1_600),
      expected: [],
    },
    {
      // A sidecar that kept sending there learned the slow answers as its usual (to ~3.9 s); the line stays 1.25 s.
      name: 'one judged against the usual before the spell, not the one learned from the slow answers since',
      answered: (r: PoolRuntime) => {
        for (let i = 0; i < 60; i++) answer(r, NOW - 9_000 + i, 5_000);
        answer(r, NOW - 3_000, 2_500);
      },
      expected: [],
    },
    {
      name: 'a fast answer to a request sent before the spell says nothing of it',
      answered: (r: PoolRuntime) => answer(r, HELD_AT - 500, 1_000),
      expected: [],
    },
    {
      name: 'no answer at all is none',
      answered: () => undefined,
      expected: [],
    },
  ])('$name', ({ answered, expected }) => {
    const r = held();
    answered(r);
    expect(takeRecoveries(r, NOW, SETTINGS)).toEqual(expected);
  });

  it('forgets the spell at once: no slowdown of its own, no fleet signal held, and the recovery taken once', () => {
    const r = held();
    answer(r, NOW - 2_000, 1_000);
    const a = target(r, 'a');
    // One fast answer pulls its memory of the spell only half-way down: still over the adaptive threshold.
    expect(a.stats.slowdown(NOW)).toBeGreaterThan(1.5);
    expect(takeRecoveries(r, NOW, SETTINGS)).toHaveLength(1);
    expect(a.stats.slowdown(NOW)).toBe(1);
    expect(a.health.fleetSlowdown).toBeUndefined();
    expect(a.health.slowdownProbe.heldSince).toBeUndefined();
    expect(slowdownsSeen(r, NOW, SETTINGS)).toEqual([]);
    expect(takeRecoveries(r, NOW + 250, SETTINGS)).toEqual([]);
  });

  it('takes nothing while the fleet holds nothing, however fast the answers', () => {
    const r = runtime();
    answer(r, NOW - 2_000, 900);
    expect(takeRecoveries(r, NOW, SETTINGS)).toEqual([]);
  });
});
