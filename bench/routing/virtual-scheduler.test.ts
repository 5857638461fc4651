import { describe, expect, it } from '@jest/globals';
import { VirtualScheduler } from './virtual-scheduler.ts';

describe('the virtual scheduler', () => {
  it('runs timers in order of due time, whatever order they were set in', () => {
    const s = new VirtualScheduler();
    const ran: string[] = [];
    s.setTimer(30, () => ran.push('c'));
    s.setTimer(10, () => ran.push('a'));
    s.setTimer(20, () => ran.push('b'));
    s.runUntil(100);
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('runs timers due at the same instant in the order they were set', () => {
    const s = new VirtualScheduler();
    const ran: number[] = [];
    for (let i = 0; i < 50; i++) s.setTimer(5, () => ran.push(i));
    s.runUntil(5);
    expect(ran).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('shows each timer its own due time on the clock, and the horizon once done', () => {
    const s = new VirtualScheduler(1_000);
    const seen: number[] = [];
    s.setTimer(7, () => seen.push(s.clock.now()));
    s.at(1_500, () => seen.push(s.now));
    s.runUntil(2_000);
    expect(seen).toEqual([1_007, 1_500]);
    expect(s.clock.now()).toBe(2_000);
  });

  it('runs timers set by running timers when they fall due before the horizon, and keeps later ones', () => {
    const s = new VirtualScheduler();
    const ran: number[] = [];
    const tick = () => {
      ran.push(s.now);
      s.setTimer(10, tick);
    };
    s.setTimer(10, tick);
    s.runUntil(45);
    expect(ran).toEqual([10, 20, 30, 40]);
    expect(s.pending).toBe(1);
    s.runUntil(50);
    expect(ran).toEqual([10, 20, 30, 40, 50]);
  });

  it('never runs a cancelled timer, and a timer set in the past runs at once (now)', () => {
    const s = new VirtualScheduler(100);
    const ran: string[] = [];
    const cancel = s.setTimer(10, () => ran.push('cancelled'));
    s.at(50, () => ran.push(`late at ${s.now}`));
    cancel();
    s.runUntil(200);
    expect(ran).toEqual(['late at 100']);
  });

  it('serves the sidecar’s probe scheduler on the same timeline', () => {
    const s = new VirtualScheduler();
    const ran: number[] = [];
    s.probeScheduler.schedule(() => ran.push(s.now), 25);
    const cancel = s.probeScheduler.schedule(() => ran.push(-1), 30);
    cancel();
    s.runUntil(100);
    expect(ran).toEqual([25]);
  });
});
