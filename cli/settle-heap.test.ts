import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { settleHeapAfterStart } from './settle-heap.ts';

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
    settleHeapAfterStart(globalThis.gc, 0);
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
  test('is one last-resort major collection, run after the delay and not before', async () => {
    const calls: NodeJS.GCOptions[] = [];
    const gc = ((options: NodeJS.GCOptions) => void calls.push(options)) as NodeJS.GCFunction;
    settleHeapAfterStart(gc, 20);
    expect(calls).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
  });

  test('is not scheduled when gc is not exposed (the sidecar started without --expose-gc)', () => {
    expect(settleHeapAfterStart(undefined, 0)).toBeUndefined();
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
