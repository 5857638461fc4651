import { describe, expect, test } from '@jest/globals';
import { waitFor } from '../support/wait.ts';
import { Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { MERGE_PATCH } from '../../operator/kube/patch-options.ts';
import { spawnTool } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

describe('watches', () => {
  const ns = useNamespace('watch');

  test('a watch from a resourceVersion sees a later update, then the delete', async () => {
    const { core, config, name: namespace } = ns;
    const created = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings' }, data: { mode: 'fast' } },
    });

    // The library's Watch, as the operator's informers use it.
    const seen: [string, string | undefined, string | undefined][] = [];
    let ended: () => void = () => {};
    const end = new Promise<void>((resolve) => (ended = resolve));
    const watch = await new Watch(config).watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { fieldSelector: 'metadata.name=settings', resourceVersion: created.metadata?.resourceVersion },
      (type, object: V1ConfigMap) => {
        seen.push([type, object.data?.mode, object.metadata?.resourceVersion]);
        if (type === 'DELETED') ended();
      },
      () => ended(),
    );

    await core.patchNamespacedConfigMap(
      { name: 'settings', namespace, body: { data: { mode: 'cheap' } } },
      MERGE_PATCH,
    );
    await core.deleteNamespacedConfigMap({ name: 'settings', namespace });
    const timeout = setTimeout(ended, 10_000);
    await end;
    clearTimeout(timeout);
    watch.abort();

    // Starting from the creation's resourceVersion, the watch replays nothing before it.
    // (An ERROR event's object is a Status, with neither data nor metadata: it fails the check.)
    expect(seen.map(([type, mode]) => [type, mode])).toEqual([
      ['MODIFIED', 'cheap'],
      ['DELETED', 'cheap'],
    ]);
    expect(seen[0]?.[2]).not.toBe(created.metadata?.resourceVersion);
  });

  test('kubectl get --watch streams the same changes', async () => {
    const { core, name } = ns;
    await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'a' }, data: {} } });
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
      await core.patchNamespacedConfigMap(
        { name: 'a', namespace: name, body: { data: { n: '1' } } },
        MERGE_PATCH,
      );
      await sawUpdate;
    } finally {
      watcher.kill();
    }
    expect(output.trim().split('\n')).toEqual(['ADDED ', 'MODIFIED 1']);
  });
});
