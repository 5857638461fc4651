import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { waitFor } from '../../test/support/wait.ts';
import { KubeClient } from '../kube/client.ts';
import { configMaps } from '../kube/resources.ts';
import type { KubeObject } from '../kube/types.ts';
import { FakeApiServer, json } from '../testing/fake-api-server.ts';
import { ManualScheduler } from '../timing/manual-scheduler.ts';
import { Informer } from './informer.ts';

let server: FakeApiServer;
let client: KubeClient;
let scheduler: ManualScheduler;
let informer: Informer<KubeObject>;
let seen: string[];
/** What the fake server lists, with the list's resourceVersion. */
let listed: { resourceVersion: string; items: KubeObject[] };

const STALL_MS = 60_000;

beforeEach(async () => {
  server = await FakeApiServer.start();
  server.handler = (_request, response) =>
    json(response, 200, { metadata: { resourceVersion: listed.resourceVersion }, items: listed.items });
  client = new KubeClient(server.config());
  scheduler = new ManualScheduler();
  listed = { resourceVersion: '10', items: [cm('a', '5'), cm('b', '6')] };
  informer = new Informer({
    client,
    type: configMaps,
    namespace: 'ns',
    scheduler,
    rng: () => 0.5,
    stallTimeoutMs: STALL_MS,
    watchTimeoutSeconds: 300,
  });
  seen = [];
  informer.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onUpdate: (old, o) =>
      seen.push(
        `update ${o.metadata?.name}@${old.metadata?.resourceVersion}->${o.metadata?.resourceVersion}`,
      ),
    onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
  });
});

afterEach(async () => {
  await informer.stop();
  await client.destroy();
  await server.close();
});

const lists = () => server.requests.filter((r) => r.url.searchParams.get('watch') !== 'true').length;
const rvOf = (n: number) => server.watchRequests()[n - 1]?.url.searchParams.get('resourceVersion');

/** Waits until the informer's only timer is a backoff (not a watchdog); returns its delay. */
async function backoffTimer(): Promise<number> {
  const delay = () => (scheduler.nextAt() ?? Infinity) - scheduler.clock.now();
  await waitFor('a backoff timer', () => scheduler.pending === 1 && delay() < STALL_MS);
  return delay();
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

  test('watch events reach the store and the handlers', async () => {
    informer.start();
    const watch = await server.nthWatch(1);
    watch.send('ADDED', cm('c', '11'));
    watch.send('MODIFIED', cm('a', '12'));
    watch.send('DELETED', cm('b', '13'));
    await waitFor('three events', () => seen.length === 5);
    expect(seen.slice(2)).toEqual(['add c@11', 'update a@5->12', 'delete b']);
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
    expect(seen).toEqual(['add a@5', 'add b@6', 'update a@5->20']);
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
    await server.nthWatch(2);
    expect(rvOf(2)).toBe('40');
    expect(lists()).toBe(2);
    expect(seen.slice(2).sort()).toEqual(['add c@31', 'delete b', 'update a@5->30']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/c']);
  });

  test('a watch that ends at once without any event is retried after a backoff, not in a tight loop', async () => {
    informer.start();
    (await server.nthWatch(1)).end();
    expect(await backoffTimer()).toBe(600);
    expect(server.watches).toHaveLength(1);
    scheduler.advance(600);
    await server.nthWatch(2);
    expect(rvOf(2)).toBe('10');
  });

  test('a watch refused with 410 also relists', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    first.send('BOOKMARK', { metadata: { resourceVersion: '11' } });
    await waitFor('the bookmark', () => informer.resourceVersion === '11');
    server.watchRefusals.push({ code: 410, reason: 'Expired' });
    first.end();
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

  test('a silent watch is restarted by the watchdog from the last version', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    first.send('MODIFIED', cm('a', '17'));
    await waitFor('the update', () => informer.resourceVersion === '17');
    scheduler.advance(STALL_MS - 1);
    expect(server.watches).toHaveLength(1);
    scheduler.advance(1);
    await server.nthWatch(2);
    expect(rvOf(2)).toBe('17');
    expect(lists()).toBe(1);
  });

  test('events keep the watchdog from firing', async () => {
    informer.start();
    const first = await server.nthWatch(1);
    scheduler.advance(STALL_MS - 1);
    first.send('BOOKMARK', { metadata: { resourceVersion: '11' } });
    await waitFor('the bookmark', () => informer.resourceVersion === '11');
    scheduler.advance(STALL_MS - 1);
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

  test('a handler that throws does not stop the others or the informer', async () => {
    const other: string[] = [];
    informer.addHandlers({ onAdd: (o) => other.push(o.metadata?.name ?? '') });
    const throwing = new Informer<KubeObject>({ client, type: configMaps, scheduler, rng: () => 0.5 });
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

function cm(name: string, resourceVersion: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion } };
}
