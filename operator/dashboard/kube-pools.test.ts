import { describe, expect, it } from '@jest/globals';
import type { PoolObject } from '../kube/collections.ts';
import type { ListPage } from '../informer/informer.ts';
import { kubePools } from './kube-pools.ts';

const pool = (namespace: string, name: string): PoolObject => ({
  metadata: { namespace, name },
  spec: { providers: 'not a list' },
});

describe('pools read from a cluster', () => {
  it('follows continue tokens, sorts by namespace/name and shows a spec that does not parse as absent', async () => {
    const pages: Record<string, { items: PoolObject[]; continue?: string }> = {
      '': { items: [pool('b', 'chat')], continue: 'p2' },
      p2: { items: [pool('a', 'chat')] },
    };
    const listPage: ListPage<PoolObject> = async ({ continue: next }) => pages[next ?? ''] ?? { items: [] };
    const pools = await kubePools(listPage)();
    expect(pools.map((p) => `${p.namespace}/${p.name}`)).toEqual(['a/chat', 'b/chat']);
    expect(pools[0]).toMatchObject({ strategy: null, providers: [] });
  });

  it('lists at most once per interval however many viewers ask, and again after a failed list', async () => {
    let calls = 0;
    let fail = true;
    let now = 0;
    const listPage: ListPage<PoolObject> = async () => {
      calls++;
      if (fail) throw new Error('apiserver away');
      return { items: [] };
    };
    const pools = kubePools(listPage, 2_000, () => now);
    await expect(pools()).rejects.toThrow('apiserver away');
    fail = false;
    await pools();
    await pools();
    expect(calls).toBe(2);
    now = 2_000;
    await pools();
    expect(calls).toBe(3);
  });
});
