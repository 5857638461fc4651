/**
 * Relaying between operator replicas, on real sockets without a cluster: a leader's and a follower's sync channel
 * (hubs and express routes), the follower's LeaderRelay, and a real sidecar stream client on the follower.
 */
import { describe, expect, it } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { request } from 'undici';
import type { PoolDocument } from '../../sidecar/source/pool-source.ts';
import { OperatorPoolSource } from '../../sidecar/source/operator-pool-source.ts';
import { seededRng } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { LeaderRelay } from '../../operator/sync/leader-relay.ts';
import { SyncHub } from '../../operator/sync/sync-hub.ts';
import { syncRoutes, type SyncAuth } from '../../operator/sync/sync-routes.ts';
import { systemScheduler } from '../../operator/timing/scheduler.ts';
import { emptyReport, poolContent } from '../support/sync-server.ts';
import { sleep, waitFor } from '../support/wait.ts';

const KEY = { namespace: 'team', name: 'chat' };
const anyone: SyncAuth = {
  authorize: () => Promise.resolve({ ok: true, identity: 'test' }),
  authorizeRelay: () => Promise.resolve({ ok: true, identity: 'peer' }),
};

const cleanups = useCleanups();

async function replica(options: { following: boolean; relayTo?: () => string | undefined }) {
  let relay: LeaderRelay | undefined;
  const hub = new SyncHub({
    scheduler: systemScheduler,
    debounceMs: 20,
    reportRetentionMs: 60_000,
    onReport: (key, report, via) => relay?.forwardReport(key, report, via),
    onAck: (key, ack, via) => relay?.forwardAck(key, ack, via),
    onMembership: (key) => relay?.membershipChanged(key),
  });
  hub.setFollowing(options.following);
  const app = express();
  app.use(
    syncRoutes({
      hub,
      auth: anyone,
      logger: silentLogger,
      heartbeatMs: 200,
      leading: () => !options.following,
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (options.relayTo !== undefined) {
    relay = new LeaderRelay({
      hub,
      replica: 'op-2',
      leaderUrl: options.relayTo,
      rng: seededRng(3),
      logger: silentLogger,
      backoff: { baseMs: 20, maxMs: 100 },
    });
    relay.start();
  }
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  cleanups.push(() => relay?.stop());
  return { hub, url, relay };
}

function sidecarOn(url: string, id: string) {
  const documents: PoolDocument[] = [];
  const source = new OperatorPoolSource({
    operatorUrl: url,
    namespace: KEY.namespace,
    pool: KEY.name,
    sidecarId: id,
    rng: seededRng(1),
    logger: silentLogger,
    backoff: { baseMs: 20, maxMs: 100 },
  });
  cleanups.push(() => source.close());
  void source.start((doc) => documents.push(doc));
  return { source, documents };
}

describe('a follower replica relaying for its sidecars', () => {
  it('serves the leader’s snapshot with the sidecar’s own quota share, and the leader counts the sidecar, its ACK and its reports', async () => {
    const leader = await replica({ following: false });
    const follower = await replica({ following: true, relayTo: () => leader.url });
    const content = poolContent(['p'], { p: 0.7 });
    leader.hub.publish(KEY, {
      ...content,
      quotas: new Map([['far', [{ provider: 'p', requestsPerMinute: 42 }]]]),
    });
    // The follower's own computation (what it would serve alone) must not reach its sidecars once the leader spoke.
    follower.hub.publish(KEY, { ...content, weights: { p: 0.1 } });

    const far = sidecarOn(follower.url, 'far');
    await waitFor(
      'the leader’s weights and share on the follower’s sidecar',
      () =>
        far.documents.at(-1)?.fleet?.weights.p === 0.7 && far.documents.at(-1)?.fleet?.quotas.length === 1,
      5_000,
    );
    expect(far.documents.at(-1)?.fleet?.quotas).toEqual([{ provider: 'p', requestsPerMinute: 42 }]);
    await waitFor('the sidecar connected on the leader', () =>
      leader.hub.sidecars(KEY).some((s) => s.id === 'far' && s.connected),
    );
    await waitFor('the ACK forwarded', () =>
      leader.hub.sidecars(KEY).some((s) => s.id === 'far' && s.appliedVersion === content.configVersion),
    );
    await far.source.postReport(emptyReport('far'));
    await waitFor('the report forwarded', () =>
      leader.hub.sidecars(KEY).some((s) => s.id === 'far' && s.reports.length === 1),
    );

    // A change on the leader reaches the sidecar through the follower.
    leader.hub.publish(KEY, { ...content, weights: { p: 0.3 }, quotas: new Map() });
    await waitFor('the new weights on the sidecar', () => far.documents.at(-1)?.fleet?.weights.p === 0.3);

    await far.source.close();
    await waitFor('the sidecar gone on the leader', () =>
      leader.hub.sidecars(KEY).every((s) => s.id !== 'far' || !s.connected),
    );
  });

  it('redials when the Lease names another leader, and the new leader counts the follower’s sidecars', async () => {
    const first = await replica({ following: false });
    const second = await replica({ following: false });
    let leaderUrl = first.url;
    const follower = await replica({ following: true, relayTo: () => leaderUrl });
    for (const r of [first, second]) r.hub.publish(KEY, poolContent(['p'], { p: 0.5 }));
    sidecarOn(follower.url, 'far');
    await waitFor('counted by the first leader', () => first.hub.sidecars(KEY).some((s) => s.connected));
    leaderUrl = second.url;
    follower.relay?.leaderChanged();
    await waitFor('counted by the second leader', () => second.hub.sidecars(KEY).some((s) => s.connected));
    await waitFor('dropped by the first', () => first.hub.sidecars(KEY).every((s) => !s.connected));
  });

  it('never relays a forwarded report again, so two replicas with stale views of the leader cannot loop it', async () => {
    let bUrl = '';
    const a = await replica({ following: true, relayTo: () => bUrl });
    const b = await replica({ following: true, relayTo: () => a.url });
    bUrl = b.url;
    const far = sidecarOn(a.url, 'far');
    await far.source.postReport(emptyReport('far'));
    await waitFor('the report forwarded to b', () =>
      b.hub.sidecars(KEY).some((s) => s.id === 'far' && s.reports.length > 0),
    );
    await sleep(300);
    const reportsOf = (hub: SyncHub) => hub.sidecars(KEY).find((s) => s.id === 'far')?.reports.length;
    expect([reportsOf(a.hub), reportsOf(b.hub)]).toEqual([1, 1]);
  });

  it('answers relay calls with 503 NotLeader on a replica that does not lead', async () => {
    const follower = await replica({ following: true });
    const res = await request(`${follower.url}/sync/v1/pools/team/chat/relay?replica=op-3`);
    expect(res.statusCode).toBe(503);
    expect(res.headers.connection).toBe('close');
    expect(await res.body.json()).toMatchObject({ error: { code: 'NotLeader' } });
  });
});
