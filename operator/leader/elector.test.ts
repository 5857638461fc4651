import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { waitFor } from '../../test/support/wait.ts';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { FakeApiServer, json } from '../testing/fake-api-server.ts';
import { ManualScheduler } from '../timing/manual-scheduler.ts';
import type { LeaseSpec } from './decide.ts';
import { LeaderElector } from './elector.ts';

interface Lease {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

const LEASE_MS = 15_000;
const DEADLINE_MS = 9_000;
const RETRY_MS = 2_000;

let server: FakeApiServer;
let leases: CoordinationV1Api;
let scheduler: ManualScheduler;
let elector: LeaderElector;
let events: string[];
/** The one Lease the fake API server stores. */
let stored: Lease | undefined;
let version: number;
let failing: boolean;
/** Called before a PUT is applied, to simulate a concurrent writer. */
let beforeUpdate: (() => void) | undefined;

const store = (spec: LeaseSpec) => {
  stored = { metadata: { name: 'op', namespace: 'ns', resourceVersion: String(++version) }, spec };
};

beforeEach(async () => {
  server = await FakeApiServer.start();
  stored = undefined;
  version = 0;
  failing = false;
  beforeUpdate = undefined;
  server.handler = (request, response) => {
    if (failing) return json(response, 500, { kind: 'Status', code: 500, reason: 'InternalError' });
    const conflict = () => json(response, 409, { kind: 'Status', code: 409, reason: 'Conflict' });
    if (request.method === 'GET')
      return stored
        ? json(response, 200, stored)
        : json(response, 404, { kind: 'Status', code: 404, reason: 'NotFound' });
    const body = JSON.parse(request.body) as Lease;
    if (request.method === 'POST') {
      if (stored) return conflict();
      store(body.spec ?? {});
      return json(response, 201, stored);
    }
    beforeUpdate?.();
    if (body.metadata?.resourceVersion !== stored?.metadata?.resourceVersion) return conflict();
    store(body.spec ?? {});
    json(response, 200, stored);
  };
  leases = server.config().makeApiClient(CoordinationV1Api);
  scheduler = new ManualScheduler(1_000_000);
  events = [];
  elector = new LeaderElector({
    leases,
    namespace: 'ns',
    name: 'op',
    identity: 'me',
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: DEADLINE_MS,
    retryPeriodMs: RETRY_MS,
    scheduler,
    rng: () => 0,
    onStartedLeading: () => events.push(`started at ${scheduler.clock.now()}`),
    onStoppedLeading: () => events.push(`stopped at ${scheduler.clock.now()}`),
  });
});

afterEach(async () => {
  await elector.stop({ release: false });
  await server.close();
});

/** Waits until the elector sleeps until its next attempt (its only timer is the retry period), then runs it. */
async function nextAttempt(): Promise<void> {
  await asleep();
  scheduler.advance(RETRY_MS);
}
async function asleep(): Promise<void> {
  await waitFor('the elector to wait for its next attempt', () => {
    const next = scheduler.nextAt();
    return scheduler.pending === 1 && next !== undefined && next - scheduler.clock.now() === RETRY_MS;
  });
}
const puts = () => server.requests.filter((r) => r.method === 'PUT').length;

describe('LeaderElector', () => {
  test('creates a missing lease holding it, then renews it every retry period', async () => {
    elector.start();
    await asleep();
    expect(elector.isLeader()).toBe(true);
    expect(stored?.spec).toMatchObject({
      holderIdentity: 'me',
      leaseTransitions: 0,
      leaseDurationSeconds: 15,
    });
    const created = stored?.spec?.renewTime;
    const acquired = stored?.spec?.acquireTime;
    await nextAttempt();
    await nextAttempt();
    await asleep();
    expect(puts()).toBe(2);
    expect(stored?.spec?.renewTime).not.toBe(created);
    expect(stored?.spec?.acquireTime).toBe(acquired);
    expect(events).toEqual(['started at 1000000']);
  });

  test('steps down when renewals fail past the renew deadline, not before', async () => {
    elector.start();
    await asleep();
    const lastRenew = scheduler.clock.now();
    failing = true;
    while (elector.isLeader()) await nextAttempt();
    // Attempts at +2 s, +4 s, +6 s and +8 s fail inside the deadline; the one at +10 s is past it.
    expect(events).toEqual(['started at 1000000', `stopped at ${lastRenew + 10_000}`]);
  });

  test('steps down at once when it finds another holder on the lease', async () => {
    elector.start();
    await asleep();
    store({ ...stored?.spec, holderIdentity: 'peer' });
    await nextAttempt();
    await asleep();
    expect(elector.isLeader()).toBe(false);
    expect(elector.leader).toBe('peer');
    expect(events).toEqual(['started at 1000000', 'stopped at 1002000']);
  });

  test('follows a live holder and takes the lease only after it went a lease duration unrenewed', async () => {
    store({ holderIdentity: 'peer', leaseDurationSeconds: 15, leaseTransitions: 3 });
    elector.start();
    const start = scheduler.clock.now();
    while (!elector.isLeader()) await nextAttempt();
    // Attempts every 2 s: the first at or after the 15 s expiry is at 16 s.
    expect(events).toEqual([`started at ${start + 16_000}`]);
    expect(stored?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 4 });
  });

  test('a write that loses a race (409) is not leadership, and the next attempt re-reads', async () => {
    store({ holderIdentity: 'peer', leaseDurationSeconds: 15 });
    // The peer renews just before our takeover lands.
    beforeUpdate = () => {
      beforeUpdate = undefined;
      store({ ...stored?.spec, holderIdentity: 'peer' });
    };
    elector.start();
    for (let t = 0; t < LEASE_MS; t += RETRY_MS) await nextAttempt();
    await asleep();
    expect(elector.isLeader()).toBe(false);
    expect(stored?.spec?.holderIdentity).toBe('peer');
    // Having seen the peer's renewal, it waits a full lease duration again.
    const gets = server.requests.filter((r) => r.method === 'GET').length;
    await nextAttempt();
    await asleep();
    expect(server.requests.filter((r) => r.method === 'GET').length).toBe(gets + 1);
    expect(elector.isLeader()).toBe(false);
  });

  test('a graceful stop clears the holder so a peer can take over at once', async () => {
    elector.start();
    await asleep();
    await elector.stop();
    expect(stored?.spec?.holderIdentity ?? '').toBe('');
    expect(stored?.spec?.leaseDurationSeconds).toBe(1);
    expect(events).toEqual(['started at 1000000', 'stopped at 1000000']);
  });

  test('a stop without release leaves the lease held, as a crash would', async () => {
    elector.start();
    await asleep();
    await elector.stop({ release: false });
    expect(stored?.spec?.holderIdentity).toBe('me');
  });

  test('timings that could let two leaders overlap are refused', () => {
    expect(
      () =>
        new LeaderElector({
          leases,
          namespace: 'ns',
          name: 'op',
          identity: 'x',
          leaseDurationMs: 10_000,
          renewDeadlineMs: 10_000,
        }),
    ).toThrow('renew deadline');
  });
});
