import { describe, expect, it } from '@jest/globals';
import type { TargetStats } from '../target-stats.ts';
import type { Candidate } from '../types.ts';
import { Adaptive, type AdaptiveOptions } from './adaptive.ts';
import {
  candidate,
  pickContext,
  pickShares,
  simulateTraffic,
  type SimulatedTarget,
} from './test-candidates.ts';

/** The cross-provider latency lean of a latency-objective pool (the default). */
const crossLatency: AdaptiveOptions = { latencyExponent: 0.5 };

describe('adaptive', () => {
  it.each([
    { name: 'splits healthy unmeasured targets by weight', a: { weight: 3 }, b: {}, shareOfB: 0.25 },
    {
      name: 'with the latency lean off (a cost-objective pool), does not prefer a target for being faster',
      a: { latencyMs: 100 },
      b: { latencyMs: 400 },
      options: { latencyExponent: 0 },
      shareOfB: 0.5,
    },
    {
      name: 'leaves a target alone while it is less than 1.5× slower than its own usual',
      a: {},
      b: { slowdown: 1.5 },
      shareOfB: 0.5,
    },
    {
      name: 'cuts a target answering 2× slower than its usual to e^(−4 × 0.5) of its weight',
      a: {},
      b: { slowdown: 2 },
      shareOfB: Math.exp(-2) / (1 + Math.exp(-2)),
    },
    {
      name: 'with the operator’s price of latency (exponent 10), cuts a target 2× slower than usual to (2/1.5)^−10',
      a: {},
      b: { slowdown: 2 },
      options: { slowdownExponent: 10 },
      shareOfB: (2 / 1.5) ** -10 / (1 + (2 / 1.5) ** -10),
    },
    {
      name: 'with a cost pool’s price of latency (exponent 2), cuts a target 3× slower than usual only to a quarter',
      a: {},
      b: { slowdown: 3 },
      options: { slowdownExponent: 2 },
      shareOfB: 0.25 / 1.25,
    },
    {
      name: 'with an exponent too, leaves a target alone below the threshold',
      a: {},
      b: { slowdown: 1.4 },
      options: { slowdownExponent: 10 },
      shareOfB: 0.5,
    },
    {
      name: 'keeps a floor of a thousandth of the weight for a target far slower than its usual',
      a: {},
      b: { slowdown: 20 },
      shareOfB: 0.001 / 1.001,
    },
    {
      name: 'splits equally fast targets by weight',
      a: { weight: 3, latencyMs: 100 },
      b: { latencyMs: 100 },
      shareOfB: 0.25,
    },
    {
      name: 'with the latency factor on, halves the weight of a target four times slower than the best ((1/4)^0.5)',
      a: { latencyMs: 100 },
      b: { latencyMs: 400 },
      options: crossLatency,
      shareOfB: 1 / 3,
    },
    {
      name: 'with the latency factor on, keeps a floor of a tenth of the weight for a very slow target',
      a: { latencyMs: 100 },
      b: { latencyMs: 100_000 },
      options: crossLatency,
      shareOfB: 0.1 / 1.1,
    },
    { name: 'gives an unmeasured target its full weight', a: { latencyMs: 100 }, b: {}, shareOfB: 0.5 },
    {
      name: 'multiplies in local health: failing 50 % costs three quarters of the weight',
      a: {},
      b: { errorRate: 0.5 },
      shareOfB: 0.2,
    },
    {
      name: 'combines weight, health, latency and slowdown',
      a: { weight: 2, latencyMs: 100 },
      b: { weight: 4, latencyMs: 400, errorRate: 0.5, slowdown: 2 },
      options: crossLatency,
      shareOfB: (4 * 0.25 * 0.5 * Math.exp(-2)) / (2 + 4 * 0.25 * 0.5 * Math.exp(-2)),
    },
    { name: 'gives a half-open target a probe share', a: {}, b: { probing: true }, shareOfB: 0.1 / 1.1 },
    {
      name: 'with the operator’s price of latency, cuts a target the fleet sees 1.4× slower to 1.4^−10, below its own threshold',
      a: {},
      b: { fleetSlowdown: 1.4 },
      options: { slowdownExponent: 10 },
      shareOfB: 1.4 ** -10 / (1 + 1.4 ** -10),
    },
    {
      name: 'takes the stronger of its own slowdown and the fleet’s',
      a: {},
      b: { slowdown: 3, fleetSlowdown: 1.2 },
      options: { slowdownExponent: 10 },
      shareOfB: 0.001 / 1.001,
    },
    {
      name: 'without an exponent, cuts a target the fleet sees 1.5× slower by e^(−4 × 0.5)',
      a: {},
      b: { fleetSlowdown: 1.5 },
      shareOfB: Math.exp(-2) / (1 + Math.exp(-2)),
    },
    {
      name: 'measures latency against eligible targets only',
      a: { latencyMs: 400 },
      b: { latencyMs: 400 },
      drained: { weight: 0, latencyMs: 1 },
      options: crossLatency,
      shareOfB: 0.5,
    },
  ])(
    '$name',
    ({
      a,
      b,
      drained,
      options,
      shareOfB,
    }: {
      a: Partial<Candidate>;
      b: Partial<Candidate>;
      drained?: Partial<Candidate>;
      options?: AdaptiveOptions;
      shareOfB: number;
    }) => {
      const list = [candidate('a', a), candidate('b', b)];
      if (drained) list.push(candidate('drained', drained));
      const shares = pickShares(new Adaptive(options), list, 12_000);
      expect(shares.drained).toBeUndefined();
      expect(shares.b ?? 0).toBeCloseTo(shareOfB, 3);
    },
  );

  it.each([
    {
      name: 'sends a probe the fleet asked for to the slowed target, whatever its weight',
      due: 'b',
      picked: 'b',
    },
    { name: 'without a probe due, leaves the slowed target at its floor', due: undefined, picked: 'a' },
  ])('$name', ({ due, picked }) => {
    const list = [
      candidate('a', { weight: 1 }),
      candidate('b', { weight: 0.01, fleetSlowdown: 4, ...(due === 'b' && { probeDue: true }) }),
    ];
    expect(new Adaptive({ slowdownExponent: 10 }).pick(list, pickContext())?.key).toBe(picked);
  });

  const steady = { key: 'a', respond: () => ({ ok: true, latencyMs: 100 }) };
  it.each([
    {
      name: 'shifts away from a failing target and comes back as it recovers',
      b: { key: 'b', respond: (now: number) => ({ ok: now >= 30_000, latencyMs: 100 }) },
      duringFault: [0.02, 0.08],
    },
    {
      name: 'with the latency factor on, shifts away from a target twenty times slower than the other and comes back as it speeds up',
      b: { key: 'b', respond: (now: number) => ({ ok: true, latencyMs: now < 30_000 ? 2_000 : 100 }) },
      options: crossLatency,
      // (100 / 2000)^0.5 ≈ 0.22 of the weight: about 18 %.
      duringFault: [0.15, 0.21],
    },
  ])(
    '$name',
    ({
      b,
      options,
      duringFault,
    }: {
      b: SimulatedTarget;
      options?: AdaptiveOptions;
      duringFault: number[];
    }) => {
      const strategy = new Adaptive(options);
      const stats = new Map<string, TargetStats>();
      const run = (fromMs: number, toMs: number) =>
        simulateTraffic(strategy, [steady, b], stats, { fromMs, toMs, stepMs: 100 }).b ?? 0;
      run(0, 20_000);
      const lateFault = run(20_000, 30_000);
      const earlyRecovery = run(30_000, 40_000);
      run(40_000, 80_000);
      const recovered = run(80_000, 90_000);

      expect(lateFault).toBeGreaterThan(duringFault[0] ?? 1);
      expect(lateFault).toBeLessThan(duringFault[1] ?? 0);
      expect(earlyRecovery).toBeGreaterThan(lateFault);
      expect(earlyRecovery).toBeLessThan(recovered);
      expect(Math.abs(recovered - 0.5)).toBeLessThan(0.03);
    },
  );

  it('drops a target that turns twenty times slower than its usual to a trickle at once, and returns to it after the spell', () => {
    const strategy = new Adaptive();
    const stats = new Map<string, TargetStats>();
    const b = {
      key: 'b',
      respond: (now: number) => ({ ok: true, latencyMs: now >= 20_000 && now < 40_000 ? 2_000 : 100 }),
    };
    const run = (fromMs: number, toMs: number) =>
      simulateTraffic(strategy, [steady, b], stats, { fromMs, toMs, stepMs: 100 }).b ?? 0;
    const before = run(0, 20_000);
    const firstSecond = run(20_000, 21_000);
    const spell = run(21_000, 40_000);
    run(40_000, 150_000);
    const after = run(150_000, 160_000);

    expect(before).toBeCloseTo(0.5, 2);
    // Only the pick that brings the first slow answer: it moves the recent mean a fifth of the way to 2 s, a
    // slowdown of about 4.8, and the factor drops to its floor. (10 picks in that second.)
    expect(Math.round(firstSecond * 10)).toBeLessThanOrEqual(1);
    // A trickle: as the spell's recent mean fades (τ 15 s) the target is tried every several seconds, and each slow
    // answer pushes it back down.
    expect(spell).toBeLessThan(0.02);
    expect(Math.abs(after - 0.5)).toBeLessThan(0.03);
  });
});
