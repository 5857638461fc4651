import { describe, expect, it } from '@jest/globals';
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import type { QuotaShare, RelaySnapshot, Snapshot } from '../../api/sync/sync-protocol.ts';
import { ManualScheduler } from '../timing/manual-scheduler.ts';
import { SnapshotSink, type StreamTarget } from './snapshot-sink.ts';
import { SyncHub, type PoolContent } from './sync-hub.ts';

const key = { namespace: 'team', name: 'chat' };
const spec = ProviderPoolSpecSchema.parse({
  providers: [
    { name: 'p', type: 'openai', baseURL: 'http://p.test/v1', models: [{ name: 'chat', model: 'm' }] },
  ],
});
const share = (rpm: number): QuotaShare[] => [{ provider: 'p', requestsPerMinute: rpm }];
const content = (version: string, quotas: Record<string, QuotaShare[]>): PoolContent => ({
  configVersion: version,
  spec,
  weights: { p: 1 },
  cooldowns: [],
  quotas: new Map(Object.entries(quotas)),
});

/** A stream that keeps what was written to it, parsed. */
function stream(): { sink: SnapshotSink; snapshots: () => (Snapshot | RelaySnapshot)[] } {
  const frames: string[] = [];
  const target: StreamTarget = {
    write: (chunk) => {
      frames.push(chunk);
      return true;
    },
    once: () => undefined,
    end: () => undefined,
  };
  return {
    sink: new SnapshotSink(target),
    snapshots: () =>
      frames
        .filter((f) => f.startsWith('event: snapshot'))
        .map((f) => JSON.parse(/^data: (.*)$/m.exec(f)?.[1] ?? 'null') as Snapshot),
  };
}

function hub(scheduler = new ManualScheduler(1_000)) {
  return { scheduler, hub: new SyncHub({ scheduler, reportRetentionMs: 35_000 }) };
}

describe('the leader’s hub serving a follower’s relay', () => {
  it('sends the relay the snapshot with the quota shares of the sidecars it serves (at once when one joins), and counts them connected', () => {
    const { scheduler, hub: leader } = hub();
    leader.publish(key, content('v1', { far: share(40), near: share(50) }));
    scheduler.advance(100);
    const relay = stream();
    const close = leader.subscribeRelay(key, 'op-2', relay.sink);
    expect(leader.setRelayMembers(key, 'op-2', ['far'])).toBe(true);
    leader.publish(key, content('v1', { far: share(45), near: share(50) }));
    scheduler.advance(100);
    // At once, the shares it has for a sidecar the relay now serves; then every push.
    expect(relay.snapshots().map((s) => s.quotas)).toEqual([{}, { far: share(40) }, { far: share(45) }]);
    expect(leader.sidecars(key).map((s) => [s.id, s.connected])).toEqual([['far', true]]);
    close();
    expect(leader.sidecars(key).map((s) => [s.id, s.connected])).toEqual([['far', false]]);
  });

  it('refuses members from a replica that has no relay open', () => {
    expect(hub().hub.setRelayMembers(key, 'op-9', ['x'])).toBe(false);
  });

  it('drops the members of an older relay of the same replica', () => {
    const { hub: leader } = hub();
    leader.subscribeRelay(key, 'op-2', stream().sink);
    leader.setRelayMembers(key, 'op-2', ['a', 'b']);
    leader.subscribeRelay(key, 'op-2', stream().sink);
    leader.setRelayMembers(key, 'op-2', ['b']);
    expect(Object.fromEntries(leader.sidecars(key).map((s) => [s.id, s.connected]))).toEqual({
      a: false,
      b: true,
    });
  });
});

describe('a follower’s hub', () => {
  const relayed = (version: string, quotas: Record<string, QuotaShare[]>): RelaySnapshot => ({
    protocol: 'switchboard.dev/sync/v1',
    namespace: key.namespace,
    pool: key.name,
    configVersion: version,
    revision: 7,
    issuedAt: 1_000,
    spec,
    weights: { p: 0.5 },
    cooldowns: [{ provider: 'p', until: 9_000, reason: 'RateLimited' }],
    quotas,
  });

  it('serves what the leader sent at once, in preference to its own computation', () => {
    const { scheduler, hub: follower } = hub();
    follower.setFollowing(true);
    const sidecar = stream();
    follower.subscribe(key, 'far', sidecar.sink);
    follower.publishRelayed(key, relayed('v1', { far: share(45) }));
    follower.publish(key, content('v1', { far: share(1000) }));
    scheduler.advance(100);
    expect(sidecar.snapshots().map((s) => [s.weights, s.quotas])).toEqual([[{ p: 0.5 }, share(45)]]);
  });

  it('serves its own computation until the leader is heard, without handing out its own quota split', () => {
    const { scheduler, hub: follower } = hub();
    follower.setFollowing(true);
    const sidecar = stream();
    follower.subscribe(key, 'far', sidecar.sink);
    follower.publish(key, content('v1', { far: share(1000) }));
    scheduler.advance(100);
    expect(sidecar.snapshots().map((s) => s.quotas)).toEqual([[]]);
  });

  it('serves its own computation when it becomes the leader, keeping the shares last pushed until its next split', () => {
    const { scheduler, hub: replica } = hub();
    replica.setFollowing(true);
    const sidecar = stream();
    replica.subscribe(key, 'far', sidecar.sink);
    replica.publishRelayed(key, relayed('v1', { far: share(45) }));
    replica.publish(key, content('v2', { far: share(1000) }));
    replica.setFollowing(false);
    scheduler.advance(100);
    const last = sidecar.snapshots().at(-1);
    expect([last?.configVersion, last?.quotas]).toEqual(['v2', share(45)]);
    replica.publish(key, content('v2', { far: share(500) }));
    scheduler.advance(100);
    expect(sidecar.snapshots().at(-1)?.quotas).toEqual(share(500));
  });

  it('lists the sidecars it serves, for the leader', () => {
    const { hub: follower } = hub();
    follower.subscribe(key, 'a', stream().sink);
    follower.subscribe(key, 'a', stream().sink);
    const close = follower.subscribe(key, 'b', stream().sink);
    expect(follower.localMembers(key)).toEqual(['a', 'b']);
    close();
    expect(follower.localMembers(key)).toEqual(['a']);
  });
});
