import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../core/clock.ts';
import { CircuitBreaker } from '../breaker/circuit-breaker.ts';
import { ActiveProber, type Scheduler } from './active-prober.ts';

/** A scheduler in virtual time: tasks run when `advance` passes their due time. */
class VirtualScheduler implements Scheduler {
  readonly #clock: ManualClock;
  #tasks: { at: number; task: () => void }[] = [];
  constructor(clock: ManualClock) {
    this.#clock = clock;
  }
  get pending(): number {
    return this.#tasks.length;
  }
  schedule(task: () => void, ms: number): () => void {
    const entry = { at: this.#clock.now() + ms, task };
    this.#tasks.push(entry);
    return () => {
      this.#tasks = this.#tasks.filter((t) => t !== entry);
    };
  }
  /** Moves time on by `ms`, running what falls due (and letting the probes' promises settle). */
  async advance(ms: number): Promise<void> {
    const until = this.#clock.now() + ms;
    for (;;) {
      const due = this.#tasks.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#tasks = this.#tasks.filter((t) => t !== due);
      this.#clock.set(due.at);
      due.task();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.#clock.set(until);
  }
}

function setup(answers: boolean[]) {
  const clock = new ManualClock(0);
  const scheduler = new VirtualScheduler(clock);
  const breaker = new CircuitBreaker({
    now: 0,
    settings: { consecutiveFailures: 1, baseBackoffMs: 60_000, maxBackoffMs: 300_000 },
  });
  const probesAt: number[] = [];
  const probe = async () => {
    probesAt.push(clock.now());
    return answers.shift() ?? false;
  };
  const prober = new ActiveProber({ breakers: () => [breaker], probe, scheduler, clock, intervalMs: 1_000 });
  const open = () => {
    breaker.tryAcquire(clock.now())?.release('failure', clock.now());
    prober.breakerOpened();
  };
  return { clock, scheduler, breaker, prober, probesAt, open };
}

describe('active probes of a provider whose breaker is open', () => {
  it('probes every interval while the breaker is open and turns it half-open at the first success, long before its backoff', async () => {
    const s = setup([false, false, true]);
    s.open();
    await s.scheduler.advance(10_000);
    expect(s.probesAt).toEqual([1_000, 2_000, 3_000]);
    expect(s.breaker.snapshot(3_000)).toMatchObject({ phase: 'half-open', reason: 'active-probe-succeeded' });
    expect(s.scheduler.pending).toBe(0); // the loop ends with the open phase
  });

  it('runs one loop however often the breaker is reported open', async () => {
    const s = setup([]);
    s.open();
    s.prober.breakerOpened();
    s.prober.breakerOpened();
    await s.scheduler.advance(3_000);
    expect(s.probesAt).toEqual([1_000, 2_000, 3_000]);
  });

  it('stops probing once the breaker left the open phase by itself', async () => {
    const s = setup([]);
    s.open();
    await s.scheduler.advance(59_500);
    const before = s.probesAt.length;
    await s.scheduler.advance(10_000); // the backoff ran out at 60 s: half-open, real requests probe now
    expect(s.probesAt.length - before).toBe(0);
    expect(s.scheduler.pending).toBe(0);
  });

  it('probes nothing after stop', async () => {
    const s = setup([]);
    s.open();
    s.prober.stop();
    await s.scheduler.advance(5_000);
    expect(s.probesAt).toEqual([]);
  });
});
