import { describe, expect, test } from '@jest/globals';
import { waitFor } from '../support/wait.ts';
import { configMaps } from '../../operator/kube/resources.ts';
import type { KubeObject, WatchEvent } from '../../operator/kube/types.ts';
import { spawnTool } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

describe('watches', () => {
  const ns = useNamespace('watch');

  test('a watch from a resourceVersion sees a later update, then the delete', async () => {
    const { client, name } = ns;
    const path = `/api/v1/namespaces/${name}/configmaps`;
    const created = await client.request<ConfigMap>('POST', path, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { mode: 'fast' },
    });

    const abort = new AbortController();
    const events = client.watch<ConfigMap>(configMaps, {
      namespace: name,
      fieldSelector: 'metadata.name=settings',
      resourceVersion: created.metadata?.resourceVersion,
      signal: abort.signal,
    });
    const seen: WatchEvent<ConfigMap>[] = [];
    const collecting = (async () => {
      for await (const event of events) {
        seen.push(event);
        if (event.type === 'DELETED') break;
      }
    })();

    await client.request(
      'PATCH',
      `${path}/settings`,
      { data: { mode: 'cheap' } },
      'application/merge-patch+json',
    );
    await client.request('DELETE', `${path}/settings`);
    const timeout = setTimeout(() => abort.abort(), 10_000);
    await collecting;
    clearTimeout(timeout);
    abort.abort();

    // Starting from the creation's resourceVersion, the watch replays nothing before it.
    // (An ERROR event's object is a Status, with neither data nor metadata: it fails both checks.)
    expect(seen.map((e) => [e.type, (e.object as ConfigMap).data?.mode])).toEqual([
      ['MODIFIED', 'cheap'],
      ['DELETED', 'cheap'],
    ]);
    expect((seen[0]?.object as ConfigMap | undefined)?.metadata?.resourceVersion).not.toBe(
      created.metadata?.resourceVersion,
    );
  });

  test('kubectl get --watch streams the same changes', async () => {
    const { client, name } = ns;
    const path = `/api/v1/namespaces/${name}/configmaps`;
    await client.request('POST', path, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a' },
      data: {},
    });
    const watcher = spawnTool('kubectl', [
      ...['get', 'configmap', 'a', '-n', name, '--watch', '--output-watch-events'],
      ...['-o', 'jsonpath={.type} {.object.data.n}{"\\n"}'],
    ]);
    let output = '';
    const sawUpdate = new Promise<void>((resolve) => {
      watcher.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('MODIFIED 1')) resolve();
      });
    });
    try {
      // The watch starts with the current state (ADDED); update once it is established.
      await waitFor('kubectl to print the initial ADDED event', () => output.includes('ADDED'), 10_000);
      await client.request('PATCH', `${path}/a`, { data: { n: '1' } }, 'application/merge-patch+json');
      await sawUpdate;
    } finally {
      watcher.kill();
    }
    expect(output.trim().split('\n')).toEqual(['ADDED ', 'MODIFIED 1']);
  });
});
