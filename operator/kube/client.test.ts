import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { FakeApiServer, json } from '../testing/fake-api-server.ts';
import { KubeApiError } from './api-error.ts';
import { KubeClient } from './client.ts';
import { loadInCluster, loadKubeconfig } from './config.ts';
import { resourcePath } from './resource-path.ts';
import { configMaps, leases, providerPools } from './resources.ts';
import type { KubeObject } from './types.ts';

let server: FakeApiServer;
let client: KubeClient;

beforeEach(async () => {
  server = await FakeApiServer.start();
  client = new KubeClient(server.config({ token: async () => 'secret' }));
});
afterEach(async () => {
  await client.destroy();
  await server.close();
});

describe('resourcePath', () => {
  test.each([
    ['core collections live under /api', configMaps, {}, '/api/v1/configmaps'],
    ['a namespaced object', configMaps, { namespace: 'ns', name: 'a' }, '/api/v1/namespaces/ns/configmaps/a'],
    [
      'group resources live under /apis',
      providerPools,
      { namespace: 'ns', name: 'chat', subresource: 'status' },
      '/apis/switchboard.dev/v1alpha1/namespaces/ns/providerpools/chat/status',
    ],
    ['a collection across namespaces', leases, {}, '/apis/coordination.k8s.io/v1/leases'],
  ])('%s', (_sentence, type, where, expected) => {
    expect(resourcePath(type, where)).toBe(expected);
  });

  test('a namespaced object without a namespace is refused', () => {
    expect(() => resourcePath(configMaps, { name: 'a' })).toThrow('namespaced');
  });
});

describe('KubeClient', () => {
  test('list follows continue tokens and returns the last page resourceVersion', async () => {
    server.handler = (request, response) => {
      const page = request.url.searchParams.get('continue');
      if (page === null)
        json(response, 200, { metadata: { continue: 'p2', resourceVersion: '10' }, items: [cm('a')] });
      else json(response, 200, { metadata: { resourceVersion: '10' }, items: [cm('b')] });
    };
    const list = await client.list(configMaps, { namespace: 'ns', limit: 1, resourceVersion: '0' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['a', 'b']);
    expect(list.metadata.resourceVersion).toBe('10');
    const [first, second] = server.requests.map((r) => r.url);
    expect(first?.searchParams.get('resourceVersion')).toBe('0');
    // The server refuses a resourceVersion together with a continue token.
    expect(second?.searchParams.has('resourceVersion')).toBe(false);
    expect(second?.searchParams.get('continue')).toBe('p2');
  });

  test('errors carry the Status code and reason', async () => {
    server.handler = (_request, response) =>
      json(response, 409, {
        kind: 'Status',
        code: 409,
        reason: 'Conflict',
        message: 'the object has been modified',
      });
    const error = await client.update(configMaps, cm('a')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ code: 409, reason: 'Conflict', conflict: true, notFound: false });
    expect((error as KubeApiError).status.message).toBe('the object has been modified');
  });

  test('a non-JSON error body still gives a KubeApiError with the HTTP code', async () => {
    server.handler = (_request, response) => {
      response.writeHead(503);
      response.end('overloaded');
    };
    await expect(client.get(configMaps, 'a', 'ns')).rejects.toMatchObject({
      code: 503,
      status: { message: 'overloaded' },
    });
  });

  test('applyStatus sends an apply patch to the status subresource with fieldManager and force', async () => {
    server.handler = (request, response) => json(response, 200, JSON.parse(request.body));
    const object = {
      apiVersion: 'switchboard.dev/v1alpha1',
      kind: 'ProviderPool',
      metadata: { name: 'chat', namespace: 'ns' },
      status: { observedGeneration: 2 },
    };
    await client.applyStatus(providerPools, object, { fieldManager: 'switchboard-operator', force: true });
    const [request] = server.requests;
    expect(request?.method).toBe('PATCH');
    expect(request?.url.pathname).toBe(
      '/apis/switchboard.dev/v1alpha1/namespaces/ns/providerpools/chat/status',
    );
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({
      fieldManager: 'switchboard-operator',
      force: 'true',
    });
    expect(request?.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(JSON.parse(request?.body ?? '')).toEqual(object);
  });

  test('every request carries the bearer token', async () => {
    server.handler = (_request, response) => json(response, 200, cm('a'));
    await client.get(configMaps, 'a', 'ns');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer secret');
  });

  test('watch yields events split across chunks and passes its options', async () => {
    const events: string[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      for await (const event of client.watch(configMaps, {
        namespace: 'ns',
        resourceVersion: '7',
        allowWatchBookmarks: true,
        timeoutSeconds: 30,
        signal: abort.signal,
      })) {
        events.push(`${event.type} ${event.type === 'ERROR' ? '' : (event.object.metadata?.name ?? '')}`);
        if (events.length === 2) abort.abort();
      }
    })();
    const watch = await server.nthWatch(1);
    const line = JSON.stringify({ type: 'ADDED', object: cm('a') }) + '\n';
    watch.send('MODIFIED', cm('a'));
    await new Promise((r) => setTimeout(r, 0));
    // A line cut in two arrives in two chunks.
    await writeRaw(watch, line);
    await watching;
    expect(events).toEqual(['MODIFIED a', 'ADDED a']);
    expect(Object.fromEntries(watch.request.url.searchParams)).toEqual({
      watch: 'true',
      resourceVersion: '7',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '30',
    });
  });

  test('a refused watch rejects with the Status (410 Gone)', async () => {
    server.watchRefusals.push({ code: 410, reason: 'Expired' });
    const events = client.watch(configMaps, { resourceVersion: '1' });
    await expect(events.next()).rejects.toMatchObject({ code: 410, gone: true, reason: 'Expired' });
  });

  test('a watch the server ends cleanly just finishes', async () => {
    const events = client.watch(configMaps, {});
    const next = events.next();
    (await server.nthWatch(1)).end();
    expect(await next).toEqual({ done: true, value: undefined });
  });
});

describe('configuration', () => {
  test('a kubeconfig gives the current context server, certificates, token file and namespace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    await writeFile(join(dir, 'token'), 'from-file\n');
    await writeFile(join(dir, 'ca.pem'), 'CA PEM');
    await writeFile(
      join(dir, 'config'),
      JSON.stringify({
        'current-context': 'b',
        contexts: [
          { name: 'a', context: { cluster: 'x', user: 'x' } },
          { name: 'b', context: { cluster: 'c', user: 'u', namespace: 'team' } },
        ],
        clusters: [
          { name: 'x', cluster: { server: 'https://wrong' } },
          { name: 'c', cluster: { server: 'https://10.0.0.1:6443/', 'certificate-authority': 'ca.pem' } },
        ],
        users: [
          { name: 'x', user: {} },
          {
            name: 'u',
            user: { 'client-certificate-data': Buffer.from('CERT').toString('base64'), tokenFile: 'token' },
          },
        ],
      }),
    );
    const config = await loadKubeconfig(join(dir, 'config'));
    expect(config).toMatchObject({
      server: 'https://10.0.0.1:6443',
      ca: 'CA PEM',
      cert: 'CERT',
      namespace: 'team',
    });
    expect(await config.token?.()).toBe('from-file');
  });

  test('in cluster, the service account token is re-read after it rotates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-'));
    await writeFile(join(dir, 'token'), 'first');
    await writeFile(join(dir, 'ca.crt'), 'CA');
    await writeFile(join(dir, 'namespace'), 'switchboard-system');
    let now = 0;
    const config = await loadInCluster({
      dir,
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      clock: { now: () => now },
      tokenRefreshMs: 60_000,
    });
    expect(config).toMatchObject({
      server: 'https://10.96.0.1:443',
      ca: 'CA',
      namespace: 'switchboard-system',
    });
    await writeFile(join(dir, 'token'), 'second');
    now = 59_999;
    expect(await config.token?.()).toBe('first');
    now = 60_000;
    expect(await config.token?.()).toBe('second');
  });

  test('outside a cluster, loadInCluster says so', async () => {
    await expect(loadInCluster({ env: {} })).rejects.toThrow('not running in a cluster');
  });
});

function cm(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: '1' } };
}

/** Writes one line in two chunks with a pause between, so the client sees it split. */
async function writeRaw(watch: { sendRaw(text: string): void }, line: string): Promise<void> {
  watch.sendRaw(line.slice(0, 10));
  await new Promise((r) => setTimeout(r, 20));
  watch.sendRaw(line.slice(10));
}
