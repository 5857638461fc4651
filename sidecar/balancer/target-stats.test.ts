import { describe, expect, it } from '@jest/globals';
import { TargetStats, type RequestOutcome } from './target-stats.ts';

const TAU = 10_000;
const e = Math.exp;

interface Request {
  start: number;
  end: number;
  outcome: RequestOutcome;
}

/** Runs requests one after the other (each ends before the next starts). */
function run(stats: TargetStats, requests: readonly Request[]): void {
  for (const r of requests) stats.start(r.start).end(r.end, r.outcome);
}

const ok = (start: number, end: number, latencyMs?: number): Request => ({
  start,
  end,
  outcome: latencyMs === undefined ? { ok: true } : { ok: true, latencyMs },
});
const failed = (start: number, end: number, latencyMs?: number): Request => ({
  start,
  end,
  outcome: latencyMs === undefined ? { ok: false } : { ok: false, latencyMs },
});

describe('TargetStats latency (peak-EWMA)', () => {
  it.each([
    { name: 'is undefined until a response is measured', requests: [], readAt: 0, expected: undefined },
    {
      name: 'takes the request duration when no latency is given',
      requests: [ok(0, 250)],
      readAt: 250,
      expected: 250,
    },
    {
      name: 'takes the latency given (time to first token) over the request duration',
      requests: [ok(0, 8_000, 300)],
      readAt: 8_000,
      expected: 300,
    },
    {
      name: 'jumps at once to a sample above the estimate',
      requests: [ok(0, 100), ok(100, 1_100)],
      readAt: 1_100,
      expected: 1_000,
    },
    {
      name: 'decays toward a lower sample by exp(-elapsed/tau)',
      requests: [ok(0, 300), ok(TAU + 200, TAU + 300)],
      readAt: TAU + 300,
      expected: 300 * e(-1) + 100 * (1 - e(-1)),
    },
    {
      name: 'barely moves on a lower sample that follows closely',
      requests: [ok(0, 1_000), ok(1_000, 1_100)],
      readAt: 1_100,
      expected: 1_000 * e(-100 / TAU) + 100 * (1 - e(-100 / TAU)),
    },
    {
      name: 'is not lowered by a fast failure',
      requests: [ok(0, 500), failed(500, 510)],
      readAt: 510,
      expected: 500,
    },
    {
      name: 'is not lowered by a failure even when its latency is given',
      requests: [ok(0, 500), failed(500, 510, 10)],
      readAt: 510,
      expected: 500,
    },
    {
      name: 'is raised by a slow failure whose latency is given',
      requests: [ok(0, 500), failed(500, 30_500, 30_000)],
      readAt: 30_500,
      expected: 30_000,
    },
    { name: 'is not set by a first failure', requests: [failed(0, 5, 5)], readAt: 5, expected: undefined },
  ])('$name', ({ requests, readAt, expected }) => {
    const stats = new TargetStats();
    run(stats, requests);
    const latency = stats.latencyMs(readAt);
    if (expected === undefined) expect(latency).toBeUndefined();
    else expect(latency).toBeCloseTo(expected, 6);
  });

  it.each([
    { name: 'fades toward 0 while idle, with the idle time constant', idleMs: 30_000, expected: 200 * e(-1) },
    {
      name: 'has faded to a twentieth after three idle time constants',
      idleMs: 90_000,
      expected: 200 * e(-3),
    },
  ])('$name', ({ idleMs, expected }) => {
    const stats = new TargetStats({ idleFadeMs: 30_000 });
    run(stats, [ok(0, 200)]);
    expect(stats.latencyMs(200 + idleMs)).toBeCloseTo(expected, 6);
  });

  it('does not fade while a request is in flight, so a hanging target does not look fast', () => {
    const stats = new TargetStats();
    run(stats, [ok(0, 200)]);
    const hanging = stats.start(1_000);
    expect(stats.latencyMs(120_000)).toBe(200);
    hanging.end(120_000, { ok: false });
    expect(stats.latencyMs(120_000)).toBe(200);
    expect(stats.latencyMs(150_000)).toBeCloseTo(200 * e(-1), 6);
  });

  it('reads the same whenever it is read (reading does not change state)', () => {
    const stats = new TargetStats();
    run(stats, [ok(0, 400)]);
    const first = stats.latencyMs(5_000);
    stats.latencyMs(50_000);
    expect(stats.latencyMs(5_000)).toBe(first);
  });

  it('accepts samples fed directly with recordLatency', () => {
    const stats = new TargetStats();
    stats.recordLatency(0, 800);
    stats.recordLatency(TAU, 200);
    expect(stats.latencyMs(TAU)).toBeCloseTo(800 * e(-1) + 200 * (1 - e(-1)), 6);
  });
});

describe('TargetStats failure ratio', () => {
  it.each([
    { name: 'is 0 with no data', requests: [], readAt: 0, expected: 0 },
    { name: 'reads a lone failure as 1/(1 + prior)', requests: [failed(0, 10)], readAt: 10, expected: 1 / 2 },
    {
      name: 'approaches 1 when everything fails',
      requests: Array.from({ length: 200 }, (_, i) => failed(i * 10, i * 10 + 5)),
      readAt: 1_995,
      expected: 0.95,
      atLeast: true,
    },
    {
      name: 'weighs failures and successes alike when they arrive together',
      requests: [failed(0, 0), failed(0, 0), ok(0, 0), ok(0, 0)],
      readAt: 0,
      expected: 2 / 5,
    },
    {
      name: 'lets an old failure count less than a recent success',
      requests: [failed(0, 0), ok(TAU, TAU)],
      readAt: TAU,
      expected: e(-1) / (e(-1) + 1 + 1),
    },
    {
      name: 'decays back toward 0 as old failures age out',
      requests: [failed(0, 0), failed(0, 0), failed(0, 0)],
      readAt: 3 * TAU,
      expected: (3 * e(-3)) / (3 * e(-3) + 1),
    },
  ])('$name', ({ requests, readAt, expected, atLeast }) => {
    const stats = new TargetStats();
    run(stats, requests);
    if (atLeast) expect(stats.errorRate(readAt)).toBeGreaterThanOrEqual(expected);
    else expect(stats.errorRate(readAt)).toBeCloseTo(expected, 9);
  });

  it('falls as successes arrive after an outage', () => {
    const stats = new TargetStats();
    run(
      stats,
      Array.from({ length: 50 }, (_, i) => failed(i * 100, i * 100)),
    );
    const duringOutage = stats.errorRate(4_900);
    run(
      stats,
      Array.from({ length: 300 }, (_, i) => ok(5_000 + i * 100, 5_000 + i * 100)),
    );
    expect(duringOutage).toBeGreaterThan(0.8);
    expect(stats.errorRate(34_900)).toBeLessThan(0.03);
  });
});

describe('TargetStats in-flight handles', () => {
  it('counts requests in flight and ends each once', () => {
    const stats = new TargetStats();
    const a = stats.start(0);
    const b = stats.start(0);
    expect(stats.inFlight).toBe(2);
    a.end(10, { ok: false });
    a.end(20, { ok: false });
    expect(a.ended).toBe(true);
    expect(b.ended).toBe(false);
    expect(stats.inFlight).toBe(1);
    expect(stats.errorRate(10)).toBeCloseTo(1 / 2, 9);
    b.end(30, { ok: true });
    b.end(30, { ok: true });
    expect(stats.inFlight).toBe(0);
    expect(stats.latencyMs(30)).toBe(30);
  });

  it('abandons a request without a verdict: load drops, latency and failure ratio stay as they were', () => {
    const stats = new TargetStats();
    run(stats, [ok(0, 100)]);
    const h = stats.start(100);
    expect(stats.inFlight).toBe(1);
    h.abandon(5_000);
    h.end(5_000, { ok: false });
    expect(h.ended).toBe(true);
    expect(stats.inFlight).toBe(0);
    expect(stats.errorRate(5_000)).toBe(0);
    expect(stats.latencyMs(100)).toBe(100);
  });

  it('reports in flight, latency and failure ratio together as a load', () => {
    const stats = new TargetStats();
    run(stats, [ok(0, 100), failed(100, 100)]);
    stats.start(100);
    expect(stats.load(100)).toEqual({ inFlight: 1, latencyMs: 100, errorRate: 1 / 3, slowdown: 1 });
  });

  it.each([
    { name: 'rejects a zero latency time constant', options: { latencyDecayMs: 0 } },
    { name: 'rejects a negative idle fade', options: { idleFadeMs: -1 } },
    { name: 'rejects a negative success prior', options: { successPrior: -1 } },
    { name: 'rejects a sample weight of 0', options: { recentSampleWeight: 0 } },
    { name: 'rejects a sample weight above 1', options: { usualSampleWeight: 1.5 } },
  ])('$name', ({ options }) => {
    expect(() => new TargetStats(options)).toThrow(RangeError);
  });
});

describe('TargetStats slowdown (against its own usual latency)', () => {
  /** 100 answers of 100 ms, one a second: the usual. */
  const usual = (): TargetStats => {
    const stats = new TargetStats();
    run(
      stats,
      Array.from({ length: 100 }, (_, i) => ok(i * 1_000, i * 1_000 + 100)),
    );
    return stats;
  };
  const T = 100_000;

  it.each([
    { name: 'reads 1 with no data', stats: () => new TargetStats(), at: 0, expected: 1 },
    { name: 'reads 1 for a target answering as it always did', stats: usual, at: T, expected: 1 },
    {
      name: 'reads about 1 for a target that is slow but always was (slowness alone is not a slowdown)',
      stats: () => {
        const s = new TargetStats();
        run(s, [ok(0, 5_000), ok(5_000, 10_000)]);
        return s;
      },
      at: 10_000,
      expected: 1,
    },
    {
      name: 'rises with the first answers five times slower than usual (half the step each)',
      stats: () => {
        const s = usual();
        run(s, [ok(T, T + 500), ok(T + 500, T + 1_000)]);
        return s;
      },
      at: T + 1_000,
      // recent: 100 → 300, faded toward the usual 108 for 0.5 s (τ 60 s), then half the way to 500;
      // usual: 100 → 108 → 115.84.
      expected: (() => {
        const faded = 108 + (300 - 108) * e(-500 / 60_000);
        return (faded + (500 - faded) * 0.5) / 115.84;
      })(),
    },
    {
      name: 'reads the age of a request hanging in flight before any slow answer arrives',
      stats: () => {
        const s = usual();
        s.start(T);
        return s;
      },
      at: T + 400,
      expected: 4,
    },
    {
      name: 'fades back toward 1 while no sample arrives, so an avoided target is tried again',
      stats: () => {
        const s = usual();
        run(s, [ok(T, T + 1_000)]);
        return s;
      },
      at: T + 1_000 + 240_000,
      // recent 550 capped at 4 × the usual 118, the gap faded for 240 s (τ 60 s)
      expected: (118 + (472 - 118) * e(-4)) / 118,
    },
    {
      name: 'still remembers most of a slowdown half a minute later, longer than the fleet takes to react',
      stats: () => {
        const s = usual();
        run(s, [ok(T, T + 1_000)]);
        return s;
      },
      at: T + 1_000 + 30_000,
      // recent 472 over usual 118, the gap faded for 30 s (τ 60 s): still far above the adaptive threshold of 1.5
      expected: (118 + (472 - 118) * e(-0.5)) / 118,
    },
  ])('$name', ({ stats, at, expected }) => {
    expect(stats().slowdown(at)).toBeCloseTo(expected, 2);
  });

  it('keeps the recent mean within 4× the usual, so the fade brings back even a target that hung for minutes', () => {
    const stats = usual();
    run(stats, [ok(T, T + 600_000)]);
    // usual: 100 + 599,900 × 0.02 ≈ 12,098; recent capped at 4 × that.
    expect(stats.slowdown(T + 600_000)).toBeCloseTo(4, 5);
  });

  it('comes down in three answers once the target answers as usual again after a 10× answer (half the gap per answer)', () => {
    const stats = usual();
    run(stats, [
      ok(T, T + 1_000),
      ok(T + 1_000, T + 1_000 + 100),
      ok(T + 1_100, T + 1_100 + 100),
      ok(T + 1_200, T + 1_200 + 100),
    ]);
    expect(stats.slowdown(T + 1_300)).toBeLessThan(1.5);
  });

  it('learns from a slow failure (a timeout) upward only, never from a fast one', () => {
    const fast = usual();
    run(fast, [failed(T, T + 10, 10)]);
    expect(fast.slowdown(T + 10)).toBeCloseTo(1, 5);
    const slow = usual();
    run(slow, [failed(T, T + 1_000, 1_000)]);
    expect(slow.slowdown(T + 1_000)).toBeGreaterThan(2);
  });
});

describe('TargetStats after the fleet saw a slow spell end', () => {
  /** The usual: 50 answers of 100 ms; then three of 500 ms (a spell it remembers). */
  const remembering = (): TargetStats => {
    const stats = new TargetStats();
    for (let i = 0; i < 50; i++) stats.start(i * 1_000).end(i * 1_000 + 100, { ok: true });
    for (let i = 0; i < 3; i++) stats.start(60_000 + i).end(60_500 + i, { ok: true });
    return stats;
  };
  it.each([
    {
      name: 'forgets the spell at once: slowdown 1 and the latency back to the usual',
      inFlightSince: undefined,
      check: (stats: TargetStats) => {
        expect(stats.slowdown(61_000)).toBe(1);
        expect(stats.latencyMs(61_000)).toBeLessThan(130);
      },
    },
    {
      // One request sent a second ago, against a usual of about 0.1 s: ten times, by its age.
      name: 'still counts a request in flight by its age',
      inFlightSince: 60_000,
      check: (stats: TargetStats) => expect(stats.slowdown(61_000)).toBeGreaterThan(5),
    },
  ])('$name', ({ inFlightSince, check }) => {
    const stats = remembering();
    if (inFlightSince !== undefined) stats.start(inFlightSince);
    expect(stats.slowdown(61_000)).toBeGreaterThan(2);
    stats.forgetSlowdown(61_000);
    check(stats);
  });

  it('tells the latest answer: when its request started and how long it took', () => {
    const stats = remembering();
    expect(stats.latestAnswer).toEqual({ startedAt: 60_002, latencyMs: 500 });
    stats.start(70_000).end(70_900, { ok: false });
    expect(stats.latestAnswer).toEqual({ startedAt: 60_002, latencyMs: 500 });
  });
});
