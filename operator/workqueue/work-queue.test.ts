import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { ExponentialBackoff, backoffDelay } from '../timing/backoff.ts';
import { ManualScheduler } from '../timing/manual-scheduler.ts';
import { WorkQueue } from './work-queue.ts';

/** Takes every key that is ready now (without waiting). */
async function takeReady(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.length > 0) {
    const key = await queue.get();
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  test('a key added while it waits is queued once', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(await takeReady(queue)).toEqual(['ns/a', 'ns/b']);
  });

  test('a key added while it is processed is queued again after done, not before', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.add('ns/a');
    const key = await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.length).toBe(0);
    queue.done(key ?? '');
    expect(await takeReady(queue)).toEqual(['ns/a']);
  });

  test('a key done without being re-added is not queued again', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.add('ns/a');
    queue.done((await queue.get()) ?? '');
    expect(queue.length).toBe(0);
  });

  test('a waiting get receives the next key added', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    const next = queue.get();
    queue.add('ns/a');
    expect(await next).toBe('ns/a');
    // It is being processed now: a second add waits for done.
    queue.add('ns/a');
    expect(queue.length).toBe(0);
  });

  test('addAfter queues the key when its delay has passed, in virtual time', async () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler });
    queue.addAfter('ns/a', 1000);
    scheduler.advance(999);
    expect(queue.length).toBe(0);
    scheduler.advance(1);
    expect(await takeReady(queue)).toEqual(['ns/a']);
  });

  test('addAfter keeps the earliest time when a key is delayed twice', async () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler });
    queue.addAfter('ns/a', 1000);
    queue.addAfter('ns/a', 5000);
    queue.addAfter('ns/b', 5000);
    queue.addAfter('ns/b', 200);
    scheduler.advance(1000);
    expect(await takeReady(queue)).toEqual(['ns/b', 'ns/a']);
    scheduler.advance(10_000);
    expect(queue.length).toBe(0);
  });

  test('addRateLimited backs off 5 ms, 10 ms, 20 ms per key, and forget starts over', async () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler });
    const readyAfter: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const start = scheduler.clock.now();
      queue.addRateLimited('ns/a');
      scheduler.advance(scheduler.nextAt()! - start);
      readyAfter.push(scheduler.clock.now() - start);
      queue.done((await queue.get()) ?? '');
    }
    expect(readyAfter).toEqual([5, 10, 20]);
    expect(queue.retries('ns/a')).toBe(3);
    queue.forget('ns/a');
    expect(queue.retries('ns/a')).toBe(0);
    queue.addRateLimited('ns/a');
    expect(scheduler.nextAt()! - scheduler.clock.now()).toBe(5);
  });

  test('after shutDown adds are ignored, waiting keys are still handed out, then get returns undefined', async () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler });
    queue.add('ns/a');
    queue.addAfter('ns/b', 10);
    queue.shutDown();
    queue.add('ns/c');
    scheduler.advance(100);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBeUndefined();
  });

  test('shutDown releases workers blocked in get', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    const waiting = [queue.get(), queue.get()];
    queue.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
  });

  test('shutDownWithDrain resolves only once keys in flight are done', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.add('ns/a');
    const key = (await queue.get()) ?? '';
    let drained = false;
    const draining = queue.shutDownWithDrain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    queue.done(key);
    await draining;
    expect(drained).toBe(true);
  });

  test('the depth hook follows the waiting keys', async () => {
    const depths: number[] = [];
    const queue = new WorkQueue({
      scheduler: new ManualScheduler(),
      metrics: { depth: (d) => depths.push(d) },
    });
    queue.add('ns/a');
    queue.add('ns/b');
    await takeReady(queue);
    expect(depths).toEqual([1, 2, 1, 0]);
  });
});

describe('backoffDelay', () => {
  test.each([
    ['the first retry waits the base', 0, 5],
    ['each retry doubles the wait', 3, 40],
    ['the wait stops at the cap', 30, 300_000],
    ['huge attempt counts still give the cap', 5000, 300_000],
  ])('%s', (_sentence, attempt, expected) => {
    expect(backoffDelay(attempt, 5, 300_000)).toBe(expected);
  });

  test('keys back off independently', () => {
    const backoff = new ExponentialBackoff();
    backoff.when('a');
    backoff.when('a');
    expect(backoff.when('a')).toBe(20);
    expect(backoff.when('b')).toBe(5);
  });
});

describe('WorkQueue under concurrent workers', () => {
  test('no key is processed by two workers at once, and every add is followed by a processing of its key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(3)), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        async (adds, workers) => {
          const queue = new WorkQueue({ scheduler: new ManualScheduler() });
          const inFlight = new Set<string>();
          /** For each key, whether an add is still waiting for a processing that starts after it. */
          const owed = new Map<string, boolean>();
          let overlap = false;
          const yieldTimes = (n: number) =>
            Array.from({ length: n }).reduce<Promise<void>>(
              (p) => p.then(() => Promise.resolve()),
              Promise.resolve(),
            );
          const work = async () => {
            for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
              if (inFlight.has(key)) overlap = true;
              inFlight.add(key);
              owed.set(key, false);
              await yieldTimes(2);
              inFlight.delete(key);
              queue.done(key);
            }
          };
          const running = Array.from({ length: workers }, work);
          for (const [key, pause] of adds) {
            queue.add(key);
            owed.set(key, true);
            await yieldTimes(pause);
          }
          await yieldTimes(20);
          await queue.shutDownWithDrain();
          await Promise.all(running);
          expect(overlap).toBe(false);
          expect([...owed].filter(([, waiting]) => waiting)).toEqual([]);
        },
      ),
    );
  });
});
