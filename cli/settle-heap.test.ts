import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { settleHeapAfterStart, wasQuiet } from './settle-heap.ts';

const SETTLE_HEAP = join(import.meta.dirname, 'settle-heap.ts');

/**
 * A Node process with the sidecar's young-generation cap that grows its young generation the way start-up does
 * (many objects that survive scavenges), then idles; prints the young generation's size (MiB) before and after
 * settleHeapAfterStart has run.
 */
function youngGenerationAroundSettle(nodeFlags: readonly string[]): { before: number; after: number } {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { settleHeapAfterStart } from ${JSON.stringify(SETTLE_HEAP)};
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    let kept = [];
    for (let i = 0; i < 400_000; i++) kept.push({ i, s: 'x' + i });
    kept = undefined;
    const before = young();
    settleHeapAfterStart({ gc: globalThis.gc, delayMs: 0, cpuMicros: () => 0 });
    setTimeout(() => process.stdout.write(JSON.stringify({ before, after: young() })), 50);
  `;
  const out = execFileSync(
    process.execPath,
    ['--max-semi-space-size=4', ...nodeFlags, '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as { before: number; after: number };
}

describe('the collection a sidecar runs once after it is ready', () => {
  /** A gc that records its calls, and a CPU clock that has used `busyMicros` by the time the timer fires. */
  function recorded(busyMicros: number) {
    const calls: NodeJS.GCOptions[] = [];
    const gc = ((options: NodeJS.GCOptions) => void calls.push(options)) as NodeJS.GCFunction;
    let cpu = 0;
    const timer = settleHeapAfterStart({ gc, delayMs: 20, cpuMicros: () => cpu });
    cpu = busyMicros;
    return { calls, timer };
  }

  test('is one last-resort major collection, run after the delay and not before, when the process was quiet', async () => {
    const { calls } = recorded(0);
    expect(calls).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
  });

  test('is skipped when the process was busy in that time (traffic arrived as soon as it was ready)', async () => {
    const { calls } = recorded(1_000_000); // a whole second of CPU within the 20 ms delay
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toEqual([]);
  });

  test.each([
    { name: 'no CPU in a second is quiet', cpuMicros: 0, elapsedMs: 1000, quiet: true },
    { name: '90 ms of CPU in a second is quiet', cpuMicros: 90_000, elapsedMs: 1000, quiet: true },
    { name: 'a tenth of a core is not quiet', cpuMicros: 100_000, elapsedMs: 1000, quiet: false },
    { name: 'a busy core is not quiet', cpuMicros: 950_000, elapsedMs: 1000, quiet: false },
  ])('$name', ({ cpuMicros, elapsedMs, quiet }) => {
    expect(wasQuiet(cpuMicros, elapsedMs)).toBe(quiet);
  });

  test('is not scheduled when gc is not exposed (the sidecar started without --expose-gc)', () => {
    expect(settleHeapAfterStart({ gc: undefined, delayMs: 0 })).toBeUndefined();
  });

  test('shrinks the young generation that start-up grew to its cap', () => {
    const { before, after } = youngGenerationAroundSettle(['--expose-gc']);
    expect(before).toBe(8); // two semi-spaces at the 4 MiB cap
    expect(after).toBeLessThan(before);
  });

  test('leaves the young generation as it is without --expose-gc', () => {
    const { before, after } = youngGenerationAroundSettle([]);
    expect(before).toBe(8);
    expect(after).toBe(before);
  });
});
