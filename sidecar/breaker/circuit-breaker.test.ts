import { describe, expect, it } from '@jest/globals';
import { seededRng } from '../../core/clock.ts';
import {
  CircuitBreaker,
  type BreakerPermit,
  type BreakerSettings,
  type BreakerTransition,
  type BreakerVerdict,
} from './circuit-breaker.ts';

/** Exact times, no jitter: a breaker that opens after 3 failures in a row and backs off 1 s, 2 s, 4 s (cap). */
const BASE: Partial<BreakerSettings> = {
  consecutiveFailures: 3,
  failureRateThreshold: 0.5,
  minRequests: 10,
  windowMs: 10_000,
  baseBackoffMs: 1_000,
  maxBackoffMs: 4_000,
  halfOpenProbes: 1,
  successesToClose: 2,
};

/** A request sent and finished at once: [verdict, time]. */
type Call = readonly [BreakerVerdict, number];

function harness(settings: Partial<BreakerSettings> = BASE) {
  const transitions: string[] = [];
  const breaker = new CircuitBreaker({
    now: 0,
    settings,
    onTransition: (t: BreakerTransition) => transitions.push(`${t.at} ${t.from}→${t.to} (${t.reason})`),
  });
  /** Sends each call that the breaker admits; returns the verdicts of the refused ones as 'refused@t'. */
  const send = (...calls: Call[]): string[] => {
    const refused: string[] = [];
    for (const [verdict, at] of calls) {
      const permit = breaker.tryAcquire(at);
      if (permit === undefined) refused.push(`refused@${at}`);
      else permit.release(verdict, at);
    }
    return refused;
  };
  return { breaker, transitions, send };
}

const failures = (times: number[]): Call[] => times.map((t) => ['failure', t] as const);

describe('circuit breaker: closed → open', () => {
  const cases: {
    name: string;
    settings?: Partial<BreakerSettings>;
    calls: Call[];
    transitions: string[];
    phase: 'closed' | 'open';
  }[] = [
    {
      name: 'opens after N consecutive failures, at the time of the Nth',
      calls: failures([10, 20, 30]),
      transitions: ['30 closed→open (consecutive-failures)'],
      phase: 'open',
    },
    {
      name: 'stays closed one failure short of N',
      calls: failures([10, 20]),
      transitions: [],
      phase: 'closed',
    },
    {
      name: 'a success resets the consecutive count',
      calls: [...failures([1, 2]), ['success', 3], ...failures([4, 5])],
      transitions: [],
      phase: 'closed',
    },
    {
      name: 'a neutral outcome neither resets nor adds to the consecutive count',
      calls: [...failures([1, 2]), ['neutral', 3], ...failures([4])],
      transitions: ['4 closed→open (consecutive-failures)'],
      phase: 'open',
    },
    {
      name: 'does not open on failure rate while the window holds fewer than minRequests outcomes',
      settings: { ...BASE, consecutiveFailures: 100 },
      // 9 outcomes, 5 failures (56 %): above the threshold but below the minimum count
      calls: [
        ['failure', 1],
        ['success', 2],
        ['failure', 3],
        ['success', 4],
        ['failure', 5],
        ['success', 6],
        ['failure', 7],
        ['success', 8],
        ['failure', 9],
      ],
      transitions: [],
      phase: 'closed',
    },
    {
      name: 'opens on failure rate once the minimum count is reached, at exactly the threshold',
      settings: { ...BASE, consecutiveFailures: 100 },
      calls: Array.from({ length: 10 }, (_, i): Call => [i % 2 === 0 ? 'success' : 'failure', i + 1]),
      transitions: ['10 closed→open (failure-rate)'],
      phase: 'open',
    },
    {
      name: 'does not open on failure rate just below the threshold',
      settings: { ...BASE, consecutiveFailures: 100, failureRateThreshold: 0.6 },
      calls: Array.from({ length: 10 }, (_, i): Call => [i % 2 === 0 ? 'success' : 'failure', i + 1]),
      transitions: [],
      phase: 'closed',
    },
    {
      name: 'outcomes that slid out of the window no longer count toward the failure rate',
      settings: { ...BASE, consecutiveFailures: 100 },
      // 8 failures at t<1 s slide out by t=10 s (1 s buckets); the 4 outcomes after it are below minRequests
      calls: [
        ...Array.from({ length: 8 }, (_, i): Call => [i % 4 === 3 ? 'success' : 'failure', i]),
        ...failures([10_000, 10_001, 10_002, 10_003]),
      ],
      transitions: [],
      phase: 'closed',
    },
    {
      name: 'outcomes still inside the window count toward the failure rate',
      settings: { ...BASE, consecutiveFailures: 100 },
      calls: [
        ...Array.from({ length: 8 }, (_, i): Call => [i % 4 === 3 ? 'success' : 'failure', 1_000 + i]),
        ...failures([10_000, 10_001]),
      ],
      transitions: ['10001 closed→open (failure-rate)'],
      phase: 'open',
    },
  ];

  it.each(cases)('$name', ({ settings, calls, transitions, phase }) => {
    const h = harness(settings);
    expect(h.send(...calls)).toEqual([]);
    expect(h.transitions).toEqual(transitions);
    expect(h.breaker.state(calls.at(-1)?.[1] ?? 0)).toBe(phase);
  });

  it('a success while closed records the exact state: no consecutive failures left', () => {
    const h = harness();
    h.send(...failures([1, 2]), ['success', 3]);
    const s = h.breaker.snapshot(3);
    expect(s.phase === 'closed' && s.consecutiveFailures).toBe(0);
  });
});

/** A breaker opened at t=100 by 3 failures (open until 1100 with the base 1 s backoff). */
function opened(settings: Partial<BreakerSettings> = BASE) {
  const h = harness(settings);
  h.send(...failures([98, 99, 100]));
  h.transitions.length = 0;
  return h;
}

describe('circuit breaker: open → half-open → closed or open again', () => {
  it('open blocks every request until the backoff has elapsed, and says when that is', () => {
    const h = opened();
    expect(h.breaker.state(1_099)).toBe('open');
    expect(h.breaker.nextChangeAt(1_099)).toBe(1_100);
    expect(h.breaker.wouldAdmit(1_099)).toBe(false);
    expect(h.send(['success', 100], ['success', 1_099])).toEqual(['refused@100', 'refused@1099']);
    expect(h.breaker.state(1_100)).toBe('half-open');
    expect(h.breaker.nextChangeAt(1_100)).toBeUndefined();
    expect(h.transitions).toEqual(['1100 open→half-open (backoff-elapsed)']);
  });

  it.each([
    { name: 'half-open admits exactly one probe at a time by default', probes: 1 },
    { name: 'half-open admits exactly halfOpenProbes concurrent probes', probes: 3 },
  ])('$name', ({ probes }) => {
    const h = opened({ ...BASE, halfOpenProbes: probes });
    const permits = Array.from({ length: probes + 2 }, () => h.breaker.tryAcquire(2_000));
    expect(permits.map((p) => p?.probe)).toEqual([
      ...Array<boolean>(probes).fill(true),
      undefined,
      undefined,
    ]);
    expect(h.breaker.wouldAdmit(2_000)).toBe(false);
  });

  it('a time jump past the deadline is reported at the deadline, not when noticed', () => {
    const h = opened();
    h.breaker.tryAcquire(50_000)?.release('success', 50_000);
    expect(h.transitions).toEqual(['1100 open→half-open (backoff-elapsed)']);
  });

  it('successesToClose successful probes close the breaker', () => {
    const h = opened();
    h.send(['success', 1_100]);
    expect(h.breaker.state(1_100)).toBe('half-open');
    h.send(['success', 1_150]);
    expect(h.breaker.state(1_150)).toBe('closed');
    expect(h.transitions).toEqual([
      '1100 open→half-open (backoff-elapsed)',
      '1150 half-open→closed (probes-succeeded)',
    ]);
  });

  it('a failed probe reopens with the backoff doubled each time, up to the cap', () => {
    const h = opened();
    const opens: [number | undefined, number | undefined][] = [];
    let t = 1_100;
    for (let i = 0; i < 4; i++) {
      h.send(['failure', t]);
      const s = h.breaker.snapshot(t);
      opens.push([s.phase === 'open' ? s.backoffMs : undefined, h.breaker.nextChangeAt(t)]);
      t = h.breaker.nextChangeAt(t) ?? t;
    }
    expect(opens).toEqual([
      [2_000, 3_100],
      [4_000, 7_100],
      [4_000, 11_100],
      [4_000, 15_100],
    ]);
  });

  it('closing resets the backoff to its base', () => {
    const h = opened();
    h.send(['failure', 1_100]); // open with 2 s until 3100
    h.send(['success', 3_100], ['success', 3_101]); // closed
    h.send(...failures([4_000, 4_001, 4_002]));
    const s = h.breaker.snapshot(4_002);
    expect(s).toMatchObject({
      phase: 'open',
      backoffMs: 1_000,
      until: 5_002,
      reason: 'consecutive-failures',
    });
  });

  it('a probe released as neutral (cancel) frees its slot without a verdict', () => {
    const h = opened();
    const probe = h.breaker.tryAcquire(1_100);
    expect(h.breaker.tryAcquire(1_100)).toBeUndefined();
    probe?.release('neutral', 1_200);
    expect(h.breaker.snapshot(1_200)).toMatchObject({ phase: 'half-open', probesInFlight: 0, successes: 0 });
    expect(h.breaker.tryAcquire(1_200)?.probe).toBe(true);
  });

  it('a permit released twice counts once', () => {
    const h = opened({ ...BASE, halfOpenProbes: 2, successesToClose: 2 });
    const probe = h.breaker.tryAcquire(1_100) as BreakerPermit;
    probe.release('success', 1_100);
    probe.release('success', 1_101);
    expect(h.breaker.snapshot(1_101)).toMatchObject({ phase: 'half-open', probesInFlight: 0, successes: 1 });
  });

  it('outcomes of requests admitted before the breaker opened say nothing about the probes', () => {
    const h = harness();
    const late = h.breaker.tryAcquire(0) as BreakerPermit;
    h.send(...failures([1, 2, 3])); // open until 1003
    const probe = h.breaker.tryAcquire(1_003) as BreakerPermit;
    late.release('failure', 1_004);
    late.release('success', 1_004);
    expect(h.breaker.snapshot(1_004)).toMatchObject({ phase: 'half-open', probesInFlight: 1, successes: 0 });
    probe.release('success', 1_005);
    expect(h.breaker.snapshot(1_005)).toMatchObject({ phase: 'half-open', probesInFlight: 0, successes: 1 });
  });

  it('outcomes from an earlier closed period do not count once closed again', () => {
    const h = harness();
    const stale = [1, 2].map(() => h.breaker.tryAcquire(0) as BreakerPermit);
    h.send(...failures([1, 2, 3]), ['success', 1_003], ['success', 1_004]); // open, then closed again
    stale.forEach((p) => p.release('failure', 1_005));
    h.send(['failure', 1_006]);
    expect(h.breaker.snapshot(1_006)).toMatchObject({ phase: 'closed', consecutiveFailures: 1 });
  });
});

describe('circuit breaker: jitter', () => {
  it('without a random source the open time is exactly the backoff', () => {
    const h = opened();
    expect(h.breaker.nextChangeAt(100)).toBe(1_100);
  });

  it('with a random source the open time stays within ±jitterRatio and never above the cap', () => {
    const rng = seededRng(7);
    const openTimes: number[] = [];
    for (let i = 0; i < 500; i++) {
      const breaker = new CircuitBreaker({
        now: 0,
        rng,
        settings: {
          ...BASE,
          consecutiveFailures: 1,
          baseBackoffMs: 1_000,
          maxBackoffMs: 1_050,
          jitterRatio: 0.1,
        },
      });
      breaker.tryAcquire(0)?.release('failure', 0);
      openTimes.push(breaker.nextChangeAt(0) ?? Number.NaN);
    }
    expect(Math.min(...openTimes)).toBeGreaterThanOrEqual(900);
    expect(Math.min(...openTimes)).toBeLessThan(920);
    expect(Math.max(...openTimes)).toBe(1_050);
    expect(new Set(openTimes).size).toBeGreaterThan(100);
  });
});

describe('circuit breaker: settings reload keeps state', () => {
  it('an open breaker stays open until the same deadline with its backoff level', () => {
    const h = opened();
    h.breaker.updateSettings({ ...BASE, baseBackoffMs: 60_000, maxBackoffMs: 60_000 });
    expect(h.breaker.snapshot(500)).toMatchObject({ phase: 'open', until: 1_100, backoffMs: 1_000 });
    expect(h.breaker.state(1_100)).toBe('half-open');
  });

  it('the consecutive count survives and is judged by the new threshold', () => {
    const h = harness({ ...BASE, consecutiveFailures: 5 });
    h.send(...failures([1, 2]));
    h.breaker.updateSettings({ ...BASE, consecutiveFailures: 3 });
    h.send(...failures([3]));
    expect(h.transitions).toEqual(['3 closed→open (consecutive-failures)']);
  });

  it('a half-open breaker keeps its probe count and closes by the new successesToClose', () => {
    const h = opened({ ...BASE, successesToClose: 3 });
    h.send(['success', 1_100], ['success', 1_101]);
    h.breaker.updateSettings({ ...BASE, successesToClose: 2 });
    expect(h.breaker.state(1_101)).toBe('half-open');
    h.send(['success', 1_102]);
    expect(h.breaker.state(1_102)).toBe('closed');
  });

  it('a changed window length starts the failure-rate window afresh but keeps the consecutive count', () => {
    const settings = { ...BASE, consecutiveFailures: 4, minRequests: 4 };
    const h = harness(settings);
    h.send(['success', 1], ...failures([2, 3]));
    h.breaker.updateSettings({ ...settings, windowMs: 20_000 });
    h.send(['failure', 4]); // 3 in a row; the fresh window holds 1 outcome, below minRequests
    expect(h.breaker.snapshot(4)).toMatchObject({ phase: 'closed', consecutiveFailures: 3 });
    h.send(['failure', 5]);
    expect(h.transitions).toEqual(['5 closed→open (consecutive-failures)']);
  });

  it.each([
    { name: 'rejects a cap below the base backoff', settings: { baseBackoffMs: 10, maxBackoffMs: 5 } },
    { name: 'rejects zero half-open probes', settings: { halfOpenProbes: 0 } },
    { name: 'rejects a failure-rate threshold of 0', settings: { failureRateThreshold: 0 } },
  ])('$name', ({ settings }) => {
    const h = harness();
    expect(() => h.breaker.updateSettings(settings)).toThrow(RangeError);
    expect(h.breaker.settings.maxBackoffMs).toBe(4_000);
  });
});
