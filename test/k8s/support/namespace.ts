/**
 * A fresh namespace per test, so tests never see each other's objects and can run in parallel.
 *
 * No controllers run in the test cluster, so the helper does what the service-account controller would do
 * (create the "default" ServiceAccount, which pods need), and namespaces are not deleted afterwards: deletion
 * would leave them Terminating forever, and leaving them lets you inspect a failed test's objects
 * (`kubectl get all -n NAME`; they carry the label switchboard.dev/test=<prefix>). cluster:down removes all.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import type { KubeClient } from '../../../operator/kube/client.ts';
import { adminClient } from './kube.ts';

/** Creates a uniquely named namespace (prefix-xxxxxx) with its default ServiceAccount; returns its name. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await client.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'switchboard.dev/test': prefix } },
  });
  await client.request('POST', `/api/v1/namespaces/${name}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default' },
  });
  return name;
}

export interface TestNamespace {
  /** The current test's namespace (a new one for every test). */
  readonly name: string;
  /** An admin client for the cluster, shared by the file's tests. */
  readonly client: KubeClient;
}

/** Registers hooks that give each test in the file its own namespace; call at the top of a describe or file. */
export function useNamespace(prefix: string): TestNamespace {
  let client: KubeClient | undefined;
  let name: string | undefined;
  beforeAll(async () => {
    client = await adminClient();
  });
  beforeEach(async () => {
    name = await createNamespace(need(client), prefix);
  });
  afterAll(async () => {
    await client?.close();
  });
  return {
    get name() {
      return need(name);
    },
    get client() {
      return need(client);
    },
  };
}

function need<T>(value: T | undefined): T {
  if (value === undefined)
    throw new Error('useNamespace: only available inside a test (after its beforeEach)');
  return value;
}
