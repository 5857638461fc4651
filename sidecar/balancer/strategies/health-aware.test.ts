import { describe, expect, it } from '@jest/globals';
import type { TargetStats } from '../target-stats.ts';
import type { Candidate } from '../types.ts';
import { HealthAware } from './health-aware.ts';
import { candidate, pickShares, simulateTraffic } from './test-candidates.ts';

describe('health-aware', () => {
  it.each([
    { name: 'splits healthy targets by weight', b: {}, weightA: 3, shareOfB: 0.25 },
    { name: 'gives equal healthy targets half each', b: {}, weightA: 1, shareOfB: 0.5 },
    {
      name: 'cuts a target failing 10 % to (0.9)² of its weight',
      b: { errorRate: 0.1 },
      weightA: 1,
      shareOfB: 0.81 / 1.81,
    },
    {
      name: 'cuts a target failing 50 % to a quarter of its weight',
      b: { errorRate: 0.5 },
      weightA: 1,
      shareOfB: 0.2,
    },
    {
      name: 'keeps a trickle to a target failing everything',
      b: { errorRate: 1 },
      weightA: 1,
      shareOfB: 0.05 / 1.05,
    },
    { name: 'gives a half-open target a probe share', b: { probing: true }, weightA: 1, shareOfB: 0.1 / 1.1 },
    { name: 'drains a weight-0 target', b: { weight: 0 }, weightA: 1, shareOfB: 0 },
  ])('$name', ({ b, weightA, shareOfB }: { b: Partial<Candidate>; weightA: number; shareOfB: number }) => {
    const shares = pickShares(
      new HealthAware(),
      [candidate('a', { weight: weightA }), candidate('b', b)],
      10_000,
    );
    expect(shares.b ?? 0).toBeCloseTo(shareOfB, 3);
  });

  it('honours a configured health floor and probe share', () => {
    const strategy = new HealthAware({ minHealth: 0.2, probeHealth: 0.5 });
    const list = [
      candidate('a'),
      candidate('failing', { errorRate: 1 }),
      candidate('probing', { probing: true }),
    ];
    const shares = pickShares(strategy, list, 17_000);
    expect(shares.failing).toBeCloseTo(0.2 / 1.7, 3);
    expect(shares.probing).toBeCloseTo(0.5 / 1.7, 3);
  });

  it('shifts away from a failing target and returns to the configured ratio as it recovers', () => {
    const outageEndsAt = 30_000;
    const targets = [
      { key: 'a', respond: () => ({ ok: true, latencyMs: 200 }) },
      { key: 'b', respond: (now: number) => ({ ok: now >= outageEndsAt, latencyMs: 200 }) },
    ];
    const stats = new Map<string, TargetStats>();
    const strategy = new HealthAware();
    const step = { stepMs: 100 };
    simulateTraffic(strategy, targets, stats, { fromMs: 0, toMs: 20_000, ...step });
    const lateOutage = simulateTraffic(strategy, targets, stats, { fromMs: 20_000, toMs: 30_000, ...step });
    const earlyRecovery = simulateTraffic(strategy, targets, stats, {
      fromMs: 30_000,
      toMs: 40_000,
      ...step,
    });
    simulateTraffic(strategy, targets, stats, { fromMs: 40_000, toMs: 80_000, ...step });
    const recovered = simulateTraffic(strategy, targets, stats, { fromMs: 80_000, toMs: 90_000, ...step });

    expect(lateOutage.b).toBeLessThan(0.08);
    expect(lateOutage.b).toBeGreaterThan(0.02);
    expect(earlyRecovery.b).toBeGreaterThan(lateOutage.b ?? 1);
    expect(earlyRecovery.b).toBeLessThan(recovered.b ?? 0);
    expect(Math.abs((recovered.b ?? 0) - 0.5)).toBeLessThan(0.02);
  });
});
