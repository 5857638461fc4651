import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { waitFor } from '../../test/support/wait.ts';
import { configMapCollection } from '../kube/collections.ts';
import { FakeApiServer, json } from '../testing/fake-api-server.ts';
import { ManualScheduler } from '../timing/manual-scheduler.ts';
import { Informer } from './informer.ts';

let server: FakeApiServer;
let config: KubeConfig;
let scheduler: ManualScheduler;
let informer: Informer<V1ConfigMap>;
let seen: string[];
/** What the fake server lists, with the list's resourceVersion. */
let listed: { resourceVersion: string; items: V1ConfigMap[] };

/** Real time: the library's Watch measures inactivity with its own timers. */
const INACTIVITY_MS = 400;

beforeEach(async () => {
  server = await FakeApiServer.start();
  server.handler = (_request, response) =>
    json(response, 200, { metadata: { resourceVersion: listed.resourceVersion }, items: listed.items });
  config = server.config();
  scheduler = new ManualScheduler();
  listed = { resourceVersion: '10', items: [cm('a', '5'), cm('b', '6')] };
  informer = new Informer({
    config,
    ...configMapCollection(config, 'ns'),
    scheduler,
    rng: () => 0.5,
    inactivityTimeoutMs: INACTIVITY_MS,
    watchTimeoutSeconds: 300,
  });
  seen = [];
  informer.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onUpdate: (o) => seen.push(`update ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
  });
});

afterEach(async () => {
  await informer.stop();
  await server.close();
});

const lists = () => server.requests.filter((r) => r.url.searchParams.get('watch') !== 'true').length;
const rvOf = (n: number) => server.watchRequests()[n - 1]?.url.searchParams.get('resourceVersion');

/** Waits until the informer waits on a (backoff) timer; returns its delay. */
async function backoffTimer(): Promise<number> {
  await waitFor('a backoff timer', () => scheduler.pending === 1);
  return (scheduler.nextAt() ?? Infinity) - scheduler.clock.now();
}

describe('Informer', () => {
  test('lists, then watches from the list version, with bookmarks and a spread timeout', async () => {
    informer.start();
    const watch = await server.nthWatch(1);
    expect(informer.hasSynced()).toBe(true);
    expect(seen).toEqual(['add a@5', 'add b@6']);
    expect(Object.fromEntries(watch.request.url.searchParams)).toEqual({
      watch: 'true',
      resourceVersion: '10',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '450',
    });
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/b']);
  });

  test('lists in pages of 500, following continue tokens, and watches from the list version', async () => {
    server.handler = (request, response) =>
      request.url.searchParams.get('continue') === 'p2'
        ? json(response, 200, { metadata: { resourceVersion: '10' }, items: [cm('b', '6')] })
        : json(response, 200, { metadata: { resourceVersion: '10', continue: 'p2' }, items: [cm('a', '5')] });
    informer.start();
    await server.nthWatch(1);
    expect(server.requests.slice(0, 2).map((r) => r.url.search)).toEqual([
      '?limit=500',
      '?continue=p2&limit=500',
    ]);
    expect(seen).toEqual(['add a@5', 'add b@6']);
    expect(rvOf(1)).toBe('10');
  });

  test('watch events reach the store and the handlers', async () => {
    informer.start();
    const watch = await server.nthWatch(1);
    watch.send('ADDED', cm('c', '11'));
    watch.send('MODIFIED', cm('a', '12'));
    watch.send('DELETED', cm('b', '13'));
    await waitFor('three events', () => seen.length === 5);
    expect(seen.slice(2)).toEqual(['add c@11', 'update a@12', 'delete b']);
    expect(informer.store.get('ns/a')?.metadata?.resourceVersion).toBe('12');
    expect(informer.store.get('ns/b')).toBeUndefined();
    expect(informer.resourceVersion).toBe('13');
  });

  test('a watch the server closes is resumed from the last event, and bookmarks move that version', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    first.send('MODIFIED', cm('a', '20'));
    first.send('BOOKMARK', { kind: 'ConfigMap', metadata: { resourceVersion: '25' } });
    await waitFor('the bookmark', () => informer.resourceVersion === '25');
    first.end();
    await server.nthWatch(2);
    expect(rvOf(2)).toBe('25');
    expect(lists()).toBe(1);
    expect(seen).toEqual(['add a@5', 'add b@6', 'update a@20']);
  });

  test('after 410 Gone it relists and diffs: vanished objects are deleted, changed ones updated', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    listed = { resourceVersion: '40', items: [cm('a', '30'), cm('c', '31')] };
    first.send('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    // The API server ends a watch after an ERROR event.
    first.end();
    await server.nthWatch(2);
    expect(rvOf(2)).toBe('40');
    expect(lists()).toBe(2);
    expect(seen.slice(2).sort()).toEqual(['add c@31', 'delete b', 'update a@30']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/c']);
  });

  test('watches that end at once without any event are retried after a growing backoff, not in a tight loop', async () => {
    informer.start();
    // The library's ListWatch resumes a first clean end at once, then waits 1 s, 2 s, … while nothing arrives.
    (await server.nthWatch(1)).end();
    (await server.nthWatch(2)).end();
    expect(await backoffTimer()).toBe(1000);
    expect(server.watches).toHaveLength(2);
    scheduler.advance(1000);
    (await server.nthWatch(3)).end();
    expect(await backoffTimer()).toBe(2000);
    expect(rvOf(3)).toBe('10');
  });

  test('a watch refused with 410 also relists', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    first.send('BOOKMARK', { metadata: { resourceVersion: '11' } });
    await waitFor('the bookmark', () => informer.resourceVersion === '11');
    server.watchRefusals.push({ code: 410, reason: 'Expired' });
    first.end();
    // The relist follows at once; the library's reconnect delay (1 s after a watch without events) comes before the watch.
    scheduler.advance(await backoffTimer());
    await server.nthWatch(2);
    expect(lists()).toBe(2);
    expect(rvOf(2)).toBe('10');
  });

  test('a dropped connection is retried after a jittered backoff, in virtual time, from the same version', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    first.send('MODIFIED', cm('a', '15'));
    await waitFor('the update', () => informer.resourceVersion === '15');
    first.drop();
    // The watchdog of the dead watch is cancelled; only the backoff timer is left (800 ms × [½, 1], rng 0.5).
    expect(await backoffTimer()).toBe(600);
    expect(server.watches).toHaveLength(1);
    scheduler.advance(600);
    await server.nthWatch(2);
    expect(rvOf(2)).toBe('15');
  });

  test('consecutive failures back off exponentially', async () => {
    const delays: number[] = [];
    informer.start();
    for (let n = 1; n <= 3; n++) {
      (await server.nthWatch(n)).drop();
      const delay = await backoffTimer();
      delays.push(delay);
      scheduler.advance(delay);
    }
    expect(delays).toEqual([600, 1200, 2400]);
  });

  test('a silent watch is restarted after the inactivity timeout, from the last version, at once', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    first.send('MODIFIED', cm('a', '17'));
    await waitFor('the update', () => informer.resourceVersion === '17');
    await server.nthWatch(2);
    expect(rvOf(2)).toBe('17');
    expect(lists()).toBe(1);
    expect(first.open).toBe(false);
  });

  test('bookmarks keep a quiet watch from being restarted', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    for (let n = 11; n <= 16; n++) {
      await new Promise((r) => setTimeout(r, INACTIVITY_MS / 4));
      first.send('BOOKMARK', { metadata: { resourceVersion: String(n) } });
    }
    await waitFor('the last bookmark', () => informer.resourceVersion === '16');
    expect(first.open).toBe(true);
    expect(server.watches).toHaveLength(1);
  });

  test('a failing list is retried and hasSynced waits for it', async () => {
    let failing = true;
    server.handler = (_request, response) => {
      if (failing) return json(response, 500, { kind: 'Status', code: 500, reason: 'InternalError' });
      json(response, 200, { metadata: { resourceVersion: '10' }, items: [cm('a', '5')] });
    };
    informer.start();
    const delay = await backoffTimer();
    expect(informer.hasSynced()).toBe(false);
    failing = false;
    scheduler.advance(delay);
    await server.nthWatch(1);
    expect(informer.hasSynced()).toBe(true);
  });

  test('an exec credential plugin failing as a watch starts is an error to restart from, not a crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'informer-exec-'));
    const failing = join(dir, 'failing');
    // Credentials that expire at once, so the plugin runs for every request; it fails while `failing` exists.
    const plugin = `if [ -e ${failing} ]; then echo 'plugin failed' >&2; exit 1; fi
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2000-01-01T00:00:00Z"}}'`;
    const execConfig = new KubeConfig();
    execConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: server.url, skipTLSVerify: true }],
      users: [{ name: `exec-${dir}`, exec: { command: '/bin/sh', args: ['-c', plugin] } }],
      contexts: [{ name: 'fake', cluster: 'fake', user: `exec-${dir}` }],
      currentContext: 'fake',
    });
    let lists = 0;
    const withExec = new Informer<V1ConfigMap>({
      config: execConfig,
      path: '/api/v1/namespaces/ns/configmaps',
      listPage: async (page) => {
        const listed = await configMapCollection(execConfig, 'ns').listPage(page);
        // The plugin breaks between the list and the watch.
        if (++lists === 1) await writeFile(failing, '');
        return listed;
      },
      scheduler,
      rng: () => 0.5,
    });
    try {
      withExec.start();
      expect(await backoffTimer()).toBe(600);
      expect(server.watches).toHaveLength(0);
      await rm(failing);
      scheduler.advance(600);
      await server.nthWatch(1);
      expect(server.watchRequests()[0]?.headers.authorization).toBe('Bearer t');
    } finally {
      await withExec.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a handler that throws does not stop the others or the informer', async () => {
    const other: string[] = [];
    informer.addHandlers({ onAdd: (o) => other.push(o.metadata?.name ?? '') });
    const throwing = new Informer<V1ConfigMap>({
      config,
      ...configMapCollection(config, 'ns'),
      scheduler,
      rng: () => 0.5,
    });
    throwing.addHandlers({
      onAdd: () => {
        throw new Error('bad handler');
      },
    });
    throwing.addHandlers({ onAdd: (o) => other.push(`second ${o.metadata?.name}`) });
    throwing.start();
    await waitFor('both objects', () => other.filter((o) => o.startsWith('second')).length === 2);
    await throwing.stop();
  });

  test('stop ends an open watch', async () => {
    informer.start();
    const watch = await server.nthWatch(1);
    await informer.stop();
    await waitFor('the watch to close', () => !watch.open);
  });
});

function cm(name: string, resourceVersion: string): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion } };
}
