import { afterEach, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import {
  CHAT,
  metricsText,
  poolSpec,
  servedBy,
  startHarness,
  type Harness,
} from '../support/sidecar-harness.ts';
import { waitFor } from '../support/wait.ts';

describe('hot reload of the pool file', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('moves traffic when weights change, without a restart', async () => {
    h = await startHarness([{ name: 'a' }, { name: 'b' }], (mocks) =>
      poolSpec(mocks, { providers: { b: { weight: 0 } } }),
    );
    expect(await servedBy(h.client, 4)).toEqual(['a', 'a', 'a', 'a']);
    await h.writePool(poolSpec(h.mocks, { providers: { a: { weight: 0 } } }));
    expect(await h.sidecar.reload()).toBe(true);
    expect(await servedBy(h.client, 4)).toEqual(['b', 'b', 'b', 'b']);
    expect(await metricsText(h.sidecar)).toContain(
      'switchboard_provider_weight{provider="a",model="chat"} 0',
    );
  });

  it('keeps the breaker and load state of providers that stay', async () => {
    h = await startHarness([{ name: 'sick', behaviour: { errorRate: 1 } }, { name: 'well' }], (mocks) =>
      poolSpec(mocks, {
        spec: {
          strategy: { type: 'round-robin' },
          breaker: { consecutiveFailures: 2, baseBackoffMs: 60_000 },
        },
      }),
    );
    await servedBy(h.client, 4);
    const sickBefore = h.sidecar.runtime().providers.get('sick');
    // A 5xx is the model's fault: the breaker of (sick, chat) opened.
    expect(sickBefore?.targets.get('chat')?.breaker.state(Date.now())).toBe('open');
    await h.writePool(
      poolSpec(h.mocks, {
        spec: {
          strategy: { type: 'round-robin' },
          breaker: { consecutiveFailures: 3, baseBackoffMs: 60_000 },
        },
      }),
    );
    expect(await h.sidecar.reload()).toBe(true);
    const sickAfter = h.sidecar.runtime().providers.get('sick');
    expect(sickAfter).toBe(sickBefore);
    expect(sickAfter?.targets.get('chat')?.breaker.state(Date.now())).toBe('open');
    const requestsBefore = h.mocks.sick?.stats.requests;
    await servedBy(h.client, 4);
    expect(h.mocks.sick?.stats.requests).toBe(requestsBefore); // still blocked after the reload
  });

  it('lets a stream in flight finish when a reload removes its provider', async () => {
    h = await startHarness(
      [{ name: 'leaving', behaviour: { streamChunks: 20, chunkIntervalMs: 20 } }, { name: 'staying' }],
      (mocks) => poolSpec(mocks, { providers: { staying: { weight: 0 } } }),
    );
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const staying = poolSpec(h.mocks);
    await h.writePool({
      ...staying,
      providers: (staying.providers as { name: string }[]).filter((p) => p.name === 'staying'),
    });
    expect(await h.sidecar.reload()).toBe(true);
    expect([...h.sidecar.runtime().providers.keys()]).toEqual(['staying']);
    let text = '';
    for (let r = await iterator.next(); !r.done; r = await iterator.next())
      text += r.value.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(h.mocks.leaving?.stats.streamsCompleted).toBe(1);
    expect(await servedBy(h.client, 2)).toEqual(['staying', 'staying']);
  });

  it('rejects a broken edit, keeps serving with the previous config and counts the rejection', async () => {
    h = await startHarness([{ name: 'a' }]);
    await writeFile(
      h.poolFile,
      'apiVersion: switchboard.dev/v1alpha1\nkind: ProviderPool\nmetadata: {name: x}\nspec: {providers: []}\n',
    );
    expect(await h.sidecar.reload()).toBe(false);
    expect(await servedBy(h.client, 2)).toEqual(['a', 'a']);
    expect(await metricsText(h.sidecar)).toContain('switchboard_config_reloads_total{result="rejected"} 1');
    const rejection = h.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'pool configuration rejected; keeping the previous one');
    expect(String(rejection?.error)).toContain('spec.providers: must have at least 1 item(s)');
  });

  it('notices an edited file by itself', async () => {
    h = await startHarness(
      [{ name: 'a' }, { name: 'b' }],
      (mocks) => poolSpec(mocks, { providers: { b: { weight: 0 } } }),
      { watch: true },
    );
    await h.writePool(poolSpec(h.mocks, { providers: { a: { weight: 0 } } }));
    await waitFor(
      'the watcher to apply the new file',
      () => h.sidecar.runtime().models.get('chat')?.[0]?.weight === 0,
    );
    expect(await servedBy(h.client, 3)).toEqual(['b', 'b', 'b']);
  });
});
