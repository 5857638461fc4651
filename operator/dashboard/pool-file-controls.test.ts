import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PoolFileControls } from './pool-file-controls.ts';

const POOLS = `# our pools
apiVersion: switchboard.dev/v1alpha1
kind: ProviderPool
metadata: {name: other}
spec: {strategy: {type: round-robin}, providers: []}
---
apiVersion: switchboard.dev/v1alpha1
kind: ProviderPool
metadata:
  name: chat
  namespace: team-a
spec:
  strategy:
    type: adaptive # the default
  providers:
    - name: a
      weight: 3
    - name: b # backup
      weight: 1
`;

let dir: string | undefined;
afterEach(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));

async function withPools(): Promise<{
  controls: PoolFileControls;
  read: () => Promise<unknown[]>;
  text: () => Promise<string>;
}> {
  dir = await mkdtemp(join(tmpdir(), 'switchboard-controls-'));
  const file = join(dir, 'pools.yaml');
  await writeFile(file, POOLS);
  const text = () => readFile(file, 'utf8');
  return {
    controls: new PoolFileControls(dir),
    text,
    read: async () => parseAllDocuments(await text()).map((d) => d.toJS()),
  };
}

describe('changing a pool through its file', () => {
  it('sets the strategy of the named pool only, keeping comments and the other documents', async () => {
    const { controls, read, text } = await withPools();
    await controls.setStrategy({ namespace: 'team-a', name: 'chat' }, 'cost-based');
    const [other, chat] = (await read()) as { spec: { strategy: { type: string } } }[];
    expect(other?.spec.strategy.type).toBe('round-robin');
    expect(chat?.spec.strategy.type).toBe('cost-based');
    expect(await text()).toContain('# backup');
    expect(await text()).toMatch(/^# our pools/);
  });

  it('sets the weights named and leaves the others', async () => {
    const { controls, read } = await withPools();
    await controls.setWeights({ namespace: 'team-a', name: 'chat' }, { b: 2.5 });
    const chat = (await read())[1] as { spec: { providers: { name: string; weight: number }[] } };
    expect(chat.spec.providers).toEqual([
      { name: 'a', weight: 3 },
      { name: 'b', weight: 2.5 },
    ]);
  });

  it.each([
    ['a pool that is not there', { namespace: 'default', name: 'chat' }, { a: 1 }, 404],
    ['a provider the pool does not have', { namespace: 'team-a', name: 'chat' }, { c: 1 }, 400],
    ['weights that drain every provider', { namespace: 'team-a', name: 'chat' }, { a: 0, b: 0 }, 400],
  ])('refuses %s and leaves the file as it was', async (_name, key, weights, status) => {
    const { controls, text } = await withPools();
    await expect(controls.setWeights(key, weights)).rejects.toMatchObject({ status });
    expect(await text()).toBe(POOLS);
  });
});
