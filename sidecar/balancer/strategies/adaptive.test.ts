import { describe, expect, it } from '@jest/globals';
import type { TargetStats } from '../target-stats.ts';
import type { Candidate } from '../types.ts';
import { Adaptive } from './adaptive.ts';
import { candidate, pickShares, simulateTraffic, type SimulatedTarget } from './test-candidates.ts';

describe('adaptive', () => {
  it.each([
    { name: 'splits healthy unmeasured targets by weight', a: { weight: 3 }, b: {}, shareOfB: 0.25 },
    {
      name: 'splits equally fast targets by weight',
      a: { weight: 3, latencyMs: 100 },
      b: { latencyMs: 100 },
      shareOfB: 0.25,
    },
    {
      name: 'halves the weight of a target four times slower than the best ((1/4)^0.5)',
      a: { latencyMs: 100 },
      b: { latencyMs: 400 },
      shareOfB: 1 / 3,
    },
    {
      name: 'keeps a floor of a tenth of the weight for a very slow target',
      a: { latencyMs: 100 },
      b: { latencyMs: 100_000 },
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
      name: 'combines weight, health and latency',
      a: { weight: 2, latencyMs: 100 },
      b: { weight: 4, latencyMs: 400, errorRate: 0.5 },
      shareOfB: (4 * 0.25 * 0.5) / (2 + 4 * 0.25 * 0.5),
    },
    { name: 'gives a half-open target a probe share', a: {}, b: { probing: true }, shareOfB: 0.1 / 1.1 },
    {
      name: 'measures latency against eligible targets only',
      a: { latencyMs: 400 },
      b: { latencyMs: 400 },
      drained: { weight: 0, latencyMs: 1 },
      shareOfB: 0.5,
    },
  ])(
    '$name',
    ({
      a,
      b,
      drained,
      shareOfB,
    }: {
      a: Partial<Candidate>;
      b: Partial<Candidate>;
      drained?: Partial<Candidate>;
      shareOfB: number;
    }) => {
      const list = [candidate('a', a), candidate('b', b)];
      if (drained) list.push(candidate('drained', drained));
      const shares = pickShares(new Adaptive(), list, 12_000);
      expect(shares.drained).toBeUndefined();
      expect(shares.b ?? 0).toBeCloseTo(shareOfB, 3);
    },
  );

  const steady = { key: 'a', respond: () => ({ ok: true, latencyMs: 100 }) };
  it.each([
    {
      name: 'shifts away from a failing target and comes back as it recovers',
      b: { key: 'b', respond: (now: number) => ({ ok: now >= 30_000, latencyMs: 100 }) },
      duringFault: [0.02, 0.08],
    },
    {
      name: 'shifts away from a target whose latency spikes twentyfold and comes back as it recovers',
      b: { key: 'b', respond: (now: number) => ({ ok: true, latencyMs: now < 30_000 ? 2_000 : 100 }) },
      // (100 / 2000)^0.5 ≈ 0.22 of the weight: about 18 %.
      duringFault: [0.15, 0.21],
    },
  ])('$name', ({ b, duringFault }: { b: SimulatedTarget; duringFault: number[] }) => {
    const strategy = new Adaptive();
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
  });
});
