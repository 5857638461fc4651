/**
 * The sync channel end to end on real sockets: the operator's hub and express routes on port 0, the sidecar's
 * OperatorPoolSource dialling them.
 */
import { describe, expect, it } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackOnly, type SyncAuth } from '../../operator/sync/sync-routes.ts';
import { seededRng } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { OperatorPoolSource } from '../../sidecar/source/operator-pool-source.ts';
import type { PoolDocument } from '../../sidecar/source/pool-source.ts';
import { SnapshotStore } from '../../sidecar/sync/snapshot-store.ts';
import {
  emptyReport,
  poolContent as content,
  startSyncServer,
  type SyncServer,
} from '../support/sync-server.ts';
import { waitFor } from '../support/wait.ts';

const POOL = { namespace: 'team-a', name: 'chat' };

const startOperator = (port = 0, auth: SyncAuth = loopbackOnly): Promise<SyncServer> =>
  startSyncServer({ auth, port });

const cleanups = useCleanups();

function sidecar(
  operator: { url: string },
  options: { id?: string; store?: SnapshotStore; refuse?: (d: PoolDocument) => string | undefined } = {},
) {
  const applied: PoolDocument[] = [];
  const source = new OperatorPoolSource({
    operatorUrl: operator.url,
    namespace: POOL.namespace,
    pool: POOL.name,
    sidecarId: options.id ?? 'pod-1',
    rng: seededRng(1),
    logger: silentLogger,
    backoff: { baseMs: 20, maxMs: 100 },
    idleTimeoutMs: 1_000,
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  cleanups.push(() => source.close());
  const started = source.start((doc) => {
    const refusal = options.refuse?.(doc);
    if (refusal !== undefined) throw new Error(refusal);
    applied.push(doc);
  });
  return { source, applied, started };
}

describe('the sync channel', () => {
  it('delivers a published pool to every connected sidecar, and each one ACKs it', async () => {
    const operator = await startOperator();
    cleanups.push(() => operator.close());
    const sidecars = ['pod-1', 'pod-2', 'pod-3'].map((id) => sidecar(operator, { id }));
    const pool = content(['a', 'b'], { a: 1.5, b: 0.5 });
    operator.hub.publish(POOL, pool);
    await waitFor('every sidecar to apply the pool', () => sidecars.every((s) => s.applied.length === 1));
    for (const s of sidecars) {
      expect(s.applied[0]?.version).toBe(pool.configVersion);
      expect(s.applied[0]?.fleet?.weights).toEqual({ a: 1.5, b: 0.5 });
      expect(s.applied[0]?.pool.metadata).toEqual({ name: 'chat', namespace: 'team-a' });
    }
    await waitFor('every sidecar to ACK', () =>
      operator.hub.sidecars(POOL).every((r) => r.appliedVersion === pool.configVersion),
    );
    expect(operator.hub.sidecars(POOL).map((r) => [r.id, r.connected])).toEqual([
      ['pod-1', true],
      ['pod-2', true],
      ['pod-3', true],
    ]);
  });

  it('pushes new weights under the same version without asking for another ACK', async () => {
    const operator = await startOperator();
    cleanups.push(() => operator.close());
    const s = sidecar(operator);
    operator.hub.publish(POOL, content(['a', 'b'], { a: 1, b: 1 }));
    await waitFor('the first snapshot', () => s.applied.length === 1);
    operator.hub.publish(POOL, content(['a', 'b'], { a: 1.8, b: 0.2 }));
    await waitFor('the second snapshot', () => s.applied.length === 2);
    expect(s.applied[1]?.fleet?.weights).toEqual({ a: 1.8, b: 0.2 });
    expect(s.applied[1]?.version).toBe(s.applied[0]?.version);
  });

  it('coalesces a burst of changes into one push', async () => {
    const operator = await startOperator();
    cleanups.push(() => operator.close());
    const s = sidecar(operator);
    await waitFor('the sidecar to connect', () => operator.hub.sidecars(POOL).some((r) => r.connected));
    for (let i = 1; i <= 10; i++) operator.hub.publish(POOL, content(['a'], { a: i }));
    await waitFor('the coalesced snapshot', () => s.applied.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.applied.map((d) => d.fleet?.weights.a)).toEqual([10]);
  });

  it('records a NACK with its reason, keeps the sidecar on its previous version and never retries it blindly', async () => {
    const operator = await startOperator();
    cleanups.push(() => operator.close());
    const good = content(['a']);
    const bad = content(['a', 'broken']);
    const s = sidecar(operator, {
      refuse: (d) =>
        d.pool.spec.providers.some((p) => p.name === 'broken') ? 'provider broken: no key' : undefined,
    });
    operator.hub.publish(POOL, good);
    await waitFor('the first snapshot', () => s.applied.length === 1);
    operator.hub.publish(POOL, bad);
    await waitFor('the NACK to reach the operator', () => operator.hub.sidecars(POOL)[0]?.nack !== undefined);
    expect(operator.hub.sidecars(POOL)[0]).toMatchObject({
      appliedVersion: good.configVersion,
      nack: { version: bad.configVersion, reason: 'provider broken: no key' },
    });
    expect(s.source.problem()).toMatch(/refused; serving .*provider broken: no key/);
    operator.hub.publish(POOL, { ...bad, weights: { a: 3 } });
    await new Promise((r) => setTimeout(r, 150));
    expect(s.applied).toHaveLength(1);
  });

  it('tells a sidecar of an unknown pool why it has no configuration', async () => {
    const operator = await startOperator();
    cleanups.push(() => operator.close());
    const s = sidecar(operator);
    await waitFor('the problem to reach the sidecar', () =>
      /no ProviderPool team-a\/chat/.test(s.source.problem() ?? ''),
    );
    expect(s.applied).toHaveLength(0);
  });

  it('refuses callers the auth check refuses, and the sidecar says so', async () => {
    const operator = await startOperator(0, {
      authorize: () =>
        Promise.resolve({ ok: false, status: 403, message: 'pods of team-b may not read team-a' }),
    });
    cleanups.push(() => operator.close());
    const s = sidecar(operator);
    await waitFor('the 403 to reach the sidecar', () =>
      /HTTP 403.*may not read team-a/.test(s.source.problem() ?? ''),
    );
  });

  it('keeps serving when the operator goes away, reconnects when it is back, and resyncs in full', async () => {
    const first = await startOperator();
    const port = Number(new URL(first.url).port);
    const s = sidecar(first);
    first.hub.publish(POOL, content(['a']));
    await waitFor('the first snapshot', () => s.applied.length === 1);
    await first.close();
    await waitFor('the sidecar to notice the operator is gone', () =>
      /unreachable/.test(s.source.problem() ?? ''),
    );
    const second = await startOperator(port);
    cleanups.push(() => second.close());
    second.hub.publish(POOL, content(['a', 'b']));
    await waitFor('the resync', () => s.applied.length === 2);
    expect(s.applied[1]?.pool.spec.providers.map((p) => p.name)).toEqual(['a', 'b']);
    expect(s.source.problem()).toBeUndefined();
  });

  it('starts from the saved snapshot when the operator is unreachable (static stability across a restart)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sync-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = new SnapshotStore(join(dir, 'snapshot.json'));
    const operator = await startOperator();
    const first = sidecar(operator, { store });
    const pool = content(['a', 'b'], { a: 2, b: 1 });
    operator.hub.publish(POOL, pool);
    await waitFor('the first snapshot', () => first.applied.length === 1);
    await waitFor(
      'the snapshot to be saved',
      async () => (await store.load())?.configVersion === pool.configVersion,
    );
    await first.source.close();
    await operator.close();

    const restarted = sidecar({ url: operator.url }, { store });
    await restarted.started;
    expect(restarted.applied).toHaveLength(1);
    expect(restarted.applied[0]?.version).toBe(pool.configVersion);
    expect(restarted.applied[0]?.fleet?.weights).toEqual({ a: 2, b: 1 });
    expect(restarted.source.problem()).toMatch(/saved configuration|unreachable/);
  });

  it('accepts reports and refuses malformed ones with a message that names the field', async () => {
    const operator = await startOperator();
    cleanups.push(() => operator.close());
    const s = sidecar(operator);
    await s.source.postReport(emptyReport('pod-1'));
    expect(operator.hub.sidecars(POOL)[0]?.reports).toHaveLength(1);
    const res = await fetch(`${operator.url}/sync/v1/pools/team-a/chat/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sidecar: 'pod-1', windowStart: 'yesterday' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'BadRequest', message: expect.stringMatching(/windowStart/) },
    });
    const malformed = await fetch(`${operator.url}/sync/v1/pools/team-a/chat/acks`, {
      method: 'POST',
      body: '{',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'BadRequest' } });
  });
});
