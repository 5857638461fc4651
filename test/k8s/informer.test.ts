import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer } from '../../operator/informer/informer.ts';
import { configMapCollection } from '../../operator/kube/collections.ts';
import { MERGE_PATCH } from '../../operator/kube/patch-options.ts';
import { waitFor } from '../support/wait.ts';
import { useNamespace } from './support/namespace.ts';

/** A TCP proxy in front of the API server whose connections the test can cut, and refuse while paused. */
interface Proxy {
  readonly server: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  cut(): void;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let accepted = 0;
  let paused = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    if (paused) return client.destroy();
    accepted++;
    const upstream = createConnection({ host: hostname, port: Number(port) });
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => accepted,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    pause: () => (paused = true),
    resume: () => (paused = false),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('informer against the API server', () => {
  const ns = useNamespace('informer');
  let informer: Informer<V1ConfigMap> | undefined;
  let proxy: Proxy | undefined;
  let seen: string[];

  const createMap = (name: string, mode: string) =>
    ns.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name }, data: { mode } } });
  const patchMap = (name: string, mode: string) =>
    ns.core.patchNamespacedConfigMap({ name, namespace: ns.name, body: { data: { mode } } }, MERGE_PATCH);
  const deleteMap = (name: string) => ns.core.deleteNamespacedConfigMap({ name, namespace: ns.name });
  const server = () => ns.config.getCurrentCluster()?.server ?? '';

  const startInformer = (server: string) => {
    const config = withServer(ns.config, server);
    informer = new Informer<V1ConfigMap>({
      config,
      ...configMapCollection(config, ns.name),
      backoffBaseMs: 50,
    });
    informer.addHandlers({
      onAdd: (o) => seen.push(`add ${describeMap(o)}`),
      onUpdate: (o) => seen.push(`update ${describeMap(o)}`),
      onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
    informer.start();
    return informer;
  };

  beforeEach(() => {
    seen = [];
  });
  afterEach(async () => {
    await informer?.stop();
    await proxy?.close();
    informer = undefined;
    proxy = undefined;
  });

  test('lists what exists, then sees an add, an update and a delete', async () => {
    await createMap('before', 'fast');
    const running = startInformer(server());
    await waitFor('the initial list', () => running.hasSynced());
    expect(seen).toEqual(['add before=fast']);

    await createMap('settings', 'fast');
    await patchMap('settings', 'cheap');
    await deleteMap('settings');
    await waitFor('the delete', () => seen.includes('delete settings'), 10_000);
    expect(seen).toEqual([
      'add before=fast',
      'add settings=fast',
      'update settings=cheap',
      'delete settings',
    ]);
    expect(running.store.keys()).toEqual([`${ns.name}/before`]);
  });

  test('a watch cut by the network resumes without losing the changes made meanwhile', async () => {
    proxy = await startProxy(server());
    await createMap('settings', 'fast');
    const running = startInformer(proxy.server);
    await waitFor('the initial list', () => running.hasSynced());
    // The watch is open once a change made now arrives.
    await patchMap('settings', 'warm');
    await waitFor('the first update', () => seen.includes('update settings=warm'), 10_000);
    const connectionsBefore = proxy.connections();

    proxy.pause();
    proxy.cut();
    await patchMap('settings', 'cheap');
    await createMap('other', 'slow');
    await deleteMap('settings');
    proxy.resume();

    await waitFor('the delete after reconnecting', () => seen.includes('delete settings'), 20_000);
    expect(seen).toEqual([
      'add settings=fast',
      'update settings=warm',
      'update settings=cheap',
      'add other=slow',
      'delete settings',
    ]);
    expect(proxy.connections()).toBeGreaterThan(connectionsBefore);
    expect(running.store.keys()).toEqual([`${ns.name}/other`]);
  });
});

function describeMap(object: V1ConfigMap): string {
  return `${object.metadata?.name}=${object.data?.mode}`;
}

/** The same configuration with another server address (the proxy's). */
function withServer(config: KubeConfig, server: string): KubeConfig {
  const moved = new KubeConfig();
  moved.loadFromOptions({
    clusters: config.getClusters().map((cluster) => ({ ...cluster, server })),
    users: config.getUsers(),
    contexts: config.getContexts(),
    currentContext: config.getCurrentContext(),
  });
  return moved;
}
