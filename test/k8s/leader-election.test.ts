import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { LeaderElector } from '../../operator/leader/elector.ts';
import { waitFor } from '../support/wait.ts';
import { adminConfig } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

describe('leader election on a Lease', () => {
  const ns = useNamespace('leader');
  let leases: CoordinationV1Api;
  let electors: LeaderElector[];
  /** Electors leading at the same time, at most, over the test. */
  let mostLeaders: number;
  let leading: Set<string>;
  let events: string[];

  beforeEach(async () => {
    leases = adminConfig().makeApiClient(CoordinationV1Api);
    electors = [];
    mostLeaders = 0;
    leading = new Set();
    events = [];
  });
  afterEach(async () => {
    await Promise.all(electors.map((e) => e.stop({ release: false })));
  });

  const elector = (
    identity: string,
    timing: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number },
  ) => {
    const created = new LeaderElector({
      leases,
      namespace: ns.name,
      name: 'switchboard-operator',
      identity,
      ...timing,
      onStartedLeading: () => {
        leading.add(identity);
        mostLeaders = Math.max(mostLeaders, leading.size);
        events.push(`${identity} started`);
      },
      onStoppedLeading: () => {
        leading.delete(identity);
        events.push(`${identity} stopped`);
      },
    });
    electors.push(created);
    return created;
  };
  const readLease = () => leases.readNamespacedLease({ name: 'switchboard-operator', namespace: ns.name });
  /** MicroTimes arrive as the JSON's strings, though typed as Dates. */
  const ms = (time: Date | string | undefined) => (time === undefined ? NaN : new Date(time).getTime());

  test('two electors elect exactly one leader, and the other follows it', async () => {
    const timing = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };
    const [a, b] = [elector('a', timing), elector('b', timing)];
    a.start();
    b.start();
    await waitFor('a leader', () => a.isLeader() || b.isLeader());
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    const leaderName = leader === a ? 'a' : 'b';
    // The follower has read the lease and knows who leads; the leader has renewed past a whole lease duration.
    await waitFor('the follower to see the leader', () => follower.leader === leaderName, 10_000);
    const firstRenew = ms((await readLease()).spec?.renewTime);
    await waitFor(
      'renewals for longer than the lease duration',
      async () => ms((await readLease()).spec?.renewTime) - firstRenew > timing.leaseDurationMs,
      10_000,
    );
    expect(mostLeaders).toBe(1);
    expect(follower.isLeader()).toBe(false);
    expect((await readLease()).spec).toMatchObject({
      holderIdentity: leaderName,
      leaseTransitions: 0,
      leaseDurationSeconds: 2,
    });
  });

  test('a leader stopping gracefully hands over at once, long before its lease would expire', async () => {
    // A lease of a minute: only a release lets the follower in within the wait below.
    const timing = { leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 200 };
    const first = elector('first', timing);
    first.start();
    await waitFor('the first leader', () => first.isLeader());
    const second = elector('second', timing);
    second.start();
    await waitFor('the follower to see the leader', () => second.leader === 'first');

    await first.stop();
    await waitFor('the follower to take over', () => second.isLeader(), 10_000);
    expect(events).toEqual(['first started', 'first stopped', 'second started']);
    expect((await readLease()).spec).toMatchObject({ holderIdentity: 'second', leaseTransitions: 1 });
  });

  test('a leader that stops renewing (a crash) is replaced once its lease expires, not before', async () => {
    const timing = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };
    const crashing = elector('crashing', timing);
    crashing.start();
    await waitFor('the first leader', () => crashing.isLeader());
    const survivor = elector('survivor', timing);
    survivor.start();
    await waitFor('the follower to see the leader', () => survivor.leader === 'crashing');

    await crashing.stop({ release: false });
    const abandoned = (await readLease()).spec;
    expect(abandoned?.holderIdentity).toBe('crashing');
    await waitFor('the survivor to take over', () => survivor.isLeader(), 15_000);
    const taken = (await readLease()).spec;
    expect(taken).toMatchObject({ holderIdentity: 'survivor', leaseTransitions: 1 });
    // Safety: the survivor waited out the lease after the last renewal it could have seen.
    expect(ms(taken?.acquireTime) - ms(abandoned?.renewTime)).toBeGreaterThanOrEqual(timing.leaseDurationMs);
  });
});
