import { describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { KUBERNETES_VERSION } from '../../scripts/cluster/binaries.ts';
import { helm, kubectl, ok } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

const chart = fileURLToPath(new URL('./fixtures/chart', import.meta.url));

describe('helm with the fixture chart', () => {
  const ns = useNamespace('helm');

  test('helm template renders it for a given Kubernetes version', async () => {
    const out = await ok(
      helm(['template', 'demo', chart, '--kube-version', KUBERNETES_VERSION, '--set', 'greeting=hi']),
    );
    const manifests = parseAllDocuments(out).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string }; data: unknown },
    );
    expect(manifests).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'demo-greeting', labels: { 'app.kubernetes.io/managed-by': 'Helm' } },
        data: { greeting: 'hi', kubeVersion: KUBERNETES_VERSION },
      },
    ]);
  });

  test("helm template refuses a Kubernetes version outside the chart's kubeVersion", async () => {
    const run = await helm(['template', 'demo', chart, '--kube-version', 'v1.29.0']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      'chart requires kubeVersion: >= 1.30.0-0 which is incompatible with Kubernetes v1.29.0',
    );
  });

  test('helm install creates the release in the cluster, upgrade and uninstall manage it', async () => {
    const { name } = ns;
    await ok(helm(['install', 'demo', chart, '-n', name, '--wait', '--timeout', '60s']));

    const configMap = JSON.parse(
      await ok(kubectl(['get', 'configmap', 'demo-greeting', '-n', name, '-o', 'json'])),
    ) as {
      data: Record<string, string>;
    };
    // The server reports the real release version, which the chart's kubeVersion check accepted.
    expect(configMap.data).toEqual({ greeting: 'hello', kubeVersion: KUBERNETES_VERSION });

    await ok(helm(['upgrade', 'demo', chart, '-n', name, '--set', 'greeting=bonjour']));
    const releases = JSON.parse(await ok(helm(['list', '-n', name, '-o', 'json']))) as {
      name: string;
      revision: string;
      status: string;
    }[];
    expect(releases).toEqual([expect.objectContaining({ name: 'demo', revision: '2', status: 'deployed' })]);
    expect(
      await ok(kubectl(['get', 'configmap', 'demo-greeting', '-n', name, '-o', 'jsonpath={.data.greeting}'])),
    ).toBe('bonjour');

    await ok(helm(['uninstall', 'demo', '-n', name]));
    const gone = await kubectl(['get', 'configmap', 'demo-greeting', '-n', name]);
    expect(gone.stderr).toContain('NotFound');
  });
});
