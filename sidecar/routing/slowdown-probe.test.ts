import { describe, expect, it } from '@jest/globals';
import { seededRng } from '../../core/clock.ts';
import type { FleetSlowdown } from './fleet-slowdown.ts';
import { SlowdownProbe } from './slowdown-probe.ts';

const NOW = 1_000_000;
const signal = (probeEveryMs: number | undefined, until = NOW + 600_000): FleetSlowdown => ({
  factor: 4,
  until,
  ...(probeEveryMs !== undefined && { probeEveryMs }),
});

/** Offers the probe a request every `stepMs` over `spanMs` and counts the probes it sends. */
function probesSent(
  probe: SlowdownProbe,
  s: FleetSlowdown | undefined,
  from: number,
  spanMs: number,
  stepMs = 100,
): number {
  const rng = seededRng(3);
  let sent = 0;
  for (let now = from; now < from + spanMs; now += stepMs) {
    if (probe.due(s, now, rng)) {
      probe.sent(s, now, rng);
      sent++;
    }
  }
  return sent;
}

describe('probing a target the fleet holds slow', () => {
  it.each([
    { name: 'sends about one probe per interval asked for', s: signal(10_000), expected: [45, 75] },
    {
      name: 'sends none when the operator asks for none (an older operator)',
      s: signal(undefined),
      expected: [0, 0],
    },
    { name: 'sends none once the signal lapsed', s: signal(1_000, NOW), expected: [0, 0] },
    { name: 'sends none without a signal', s: undefined, expected: [0, 0] },
  ])('$name', ({ s, expected }) => {
    const probe = new SlowdownProbe();
    probe.hold(s, NOW);
    const sent = probesSent(probe, s, NOW, 600_000);
    expect(sent).toBeGreaterThanOrEqual(expected[0] ?? 0);
    expect(sent).toBeLessThanOrEqual(expected[1] ?? 0);
  });

  it('does not probe on the first look after the signal came: each sidecar draws its own time first', () => {
    const probe = new SlowdownProbe();
    const s = signal(1);
    probe.hold(s, NOW);
    const rng = seededRng(1);
    expect(probe.due(s, NOW, rng)).toBe(false);
    expect(probe.due(s, NOW + 10, rng)).toBe(true);
  });

  it('sidecars given the signal together spread their probes over the interval', () => {
    const firsts = Array.from({ length: 50 }, (_, i) => {
      const probe = new SlowdownProbe();
      const s = signal(10_000);
      probe.hold(s, NOW);
      const rng = seededRng(100 + i);
      probe.due(s, NOW, rng);
      let t = NOW;
      while (!probe.due(s, t, rng)) t += 100;
      return t - NOW;
    });
    expect(Math.min(...firsts)).toBeLessThan(1_000);
    expect(Math.max(...firsts)).toBeGreaterThan(15_000);
  });

  it('follows a longer interval at once, drawing the time left afresh', () => {
    const probe = new SlowdownProbe();
    probe.hold(signal(2_000), NOW);
    expect(probesSent(probe, signal(2_000), NOW, 60_000)).toBeGreaterThan(15);
    expect(probesSent(probe, signal(600_000), NOW + 60_000, 60_000)).toBeLessThanOrEqual(1);
  });

  it('remembers since when the signal is held and the usual latency then, across renewals, and forgets both when it ends', () => {
    const probe = new SlowdownProbe();
    probe.hold(signal(1_000), NOW, 800);
    probe.hold(signal(1_000, NOW + 900_000), NOW + 5_000, 1_500);
    expect(probe.heldSince).toBe(NOW);
    expect(probe.usualBeforeMs).toBe(800);
    probe.hold(undefined, NOW + 6_000);
    expect(probe.heldSince).toBeUndefined();
    expect(probe.usualBeforeMs).toBeUndefined();
    probe.hold(signal(1_000), NOW + 7_000);
    expect(probe.heldSince).toBe(NOW + 7_000);
    probe.reset();
    expect(probe.heldSince).toBeUndefined();
  });
});
