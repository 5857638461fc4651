import { describe, expect, test } from '@jest/globals';
import { HELM_VERSION, KUBERNETES_VERSION } from '../../scripts/cluster/binaries.ts';
import { MERGE_PATCH } from '../../operator/kube/patch-options.ts';
import { helm, kubectl, ok } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

describe('the test cluster', () => {
  const ns = useNamespace('server');

  test('the server, kubectl and helm are the pinned releases', async () => {
    const versions = JSON.parse(await ok(kubectl(['version', '-o', 'json']))) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(versions.clientVersion.gitVersion).toBe(KUBERNETES_VERSION);
    expect(versions.serverVersion.gitVersion).toBe(KUBERNETES_VERSION);
    expect(await ok(helm(['version', '--template', '{{ .Version }}']))).toBe(HELM_VERSION);
  });

  test('is ready by every health check and serves the built-in APIs', async () => {
    const readyz = await ok(kubectl(['get', '--raw', '/readyz?verbose']));
    expect(readyz).toContain('[+]etcd ok');
    expect(readyz).toContain('[+]poststarthook/rbac/bootstrap-roles ok');
    expect(readyz).toContain('readyz check passed');
    const resources = await ok(kubectl(['api-resources', '-o', 'name']));
    for (const resource of [
      'pods',
      'customresourcedefinitions.apiextensions.k8s.io',
      'leases.coordination.k8s.io',
    ])
      expect(resources.split('\n')).toContain(resource);
  });

  test('a pod can be created (no scheduler runs) and its status written through the status subresource', async () => {
    const { core, name: namespace } = ns;
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'app' },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
      },
    });
    // The namespace helper created the default ServiceAccount, which admission assigned.
    const created = await core.readNamespacedPod({ name: 'app', namespace });
    expect(created.spec?.serviceAccountName).toBe('default');

    // Standing in for a kubelet: the pod becomes Running with an IP.
    const patched = await core.patchNamespacedPodStatus(
      {
        name: 'app',
        namespace,
        body: { status: { phase: 'Running', podIP: '10.1.0.7', podIPs: [{ ip: '10.1.0.7' }] } },
      },
      MERGE_PATCH,
    );
    expect(patched.status).toMatchObject({ phase: 'Running', podIP: '10.1.0.7' });
  });
});
