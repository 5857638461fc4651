/**
 * A fresh namespace per test, so tests never see each other's objects and can run in parallel.
 *
 * No controllers run in the test cluster, so the helper does what the service-account controller would do
 * (create the "default" ServiceAccount, which pods need), and namespaces are not deleted afterwards: deletion
 * would leave them Terminating forever, and leaving them lets you inspect a failed test's objects
 * (`kubectl get all -n NAME`; they carry the label switchboard.dev/test=<prefix>). cluster:down removes all.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, beforeEach } from '@jest/globals';
import { CoreV1Api, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { adminConfig } from './kube.ts';

/** Creates a uniquely named namespace (prefix-xxxxxx) with its default ServiceAccount; returns its name. */
export async function createNamespace(config: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const core = config.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'switchboard.dev/test': prefix } } } });
  await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: 'default' } } });
  return name;
}

export interface TestNamespace {
  /** The current test's namespace (a new one for every test). */
  readonly name: string;
  /** The cluster's admin configuration, shared by the file's tests. */
  readonly config: KubeConfig;
  /** Any object by its apiVersion and kind, as admin. */
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
}

/** Registers hooks that give each test in the file its own namespace; call at the top of a describe or file. */
export function useNamespace(prefix: string): TestNamespace {
  let config: KubeConfig | undefined;
  let name: string | undefined;
  beforeAll(() => {
    config = adminConfig();
  });
  beforeEach(async () => {
    name = await createNamespace(need(config), prefix);
  });
  return {
    get name() {
      return need(name);
    },
    get config() {
      return need(config);
    },
    get objects() {
      return KubernetesObjectApi.makeApiClient(need(config));
    },
    get core() {
      return need(config).makeApiClient(CoreV1Api);
    },
  };
}

function need<T>(value: T | undefined): T {
  if (value === undefined)
    throw new Error('useNamespace: only available inside a test (after its beforeEach)');
  return value;
}
