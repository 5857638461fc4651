/**
 * The control loop spreading a slowdown the fleet agrees on, in virtual time: the real PoolLoop and SyncHub, the
 * sidecars' reports posted to the hub, the snapshots read off a sidecar's stream.
 */
import { describe, expect, it } from '@jest/globals';
import type { Recovery, Report, Slowdown, Snapshot } from '../../api/sync/sync-protocol.ts';
import { silentLogger } from '../../core/log.ts';
import { targetReport } from '../../test/support/sync-reports.ts';
import { SnapshotSink } from '../sync/snapshot-sink.ts';
import { SyncHub } from '../sync/sync-hub.ts';
import { ManualScheduler } from '../timing/manual-scheduler.ts';
import { PoolLoop } from './pool-loop.ts';

const KEY = { namespace: 'team', name: 'chat' };
const START = 1_000_000;
const spec = {
  providers: ['alpha', 'beta'].map((name) => ({
    name,
    type: 'openai',
    baseURL: `http://${name}.test/v1`,
    models: [{ name: 'chat', model: 'm' }],
  })),
};

function pool() {
  const scheduler = new ManualScheduler(START);
  const hub = new SyncHub({
    scheduler,
    reportRetentionMs: 35_000,
    onReport: (_key, report) => loop.onReport(report),
  });
  const loop = new PoolLoop({ metadata: { ...KEY, generation: 1 }, spec }, new Map(), {
    hub,
    scheduler,
    logger: silentLogger,
    writeStatus: () => Promise.resolve(true),
    roundMs: 5_000,
    statusIntervalMs: 10_000,
  });
  const frames: string[] = [];
  hub.subscribe(
    KEY,
    'watcher',
    new SnapshotSink({ write: (c) => frames.push(c) > 0, once: () => undefined, end: () => undefined }),
  );
  const last = (): Snapshot | undefined => {
    const data = frames.filter((f) => f.startsWith('event: snapshot')).at(-1);
    return data === undefined
      ? undefined
      : (JSON.parse(/^data: (.*)$/m.exec(data)?.[1] ?? 'null') as Snapshot);
  };
  const report = (sidecar: string, slowdowns: Slowdown[], recoveries?: Recovery[]) => {
    const now = scheduler.clock.now();
    const r: Report = {
      sidecar,
      windowStart: now - 1_000,
      windowEnd: now,
      targets: [targetReport('alpha'), targetReport('beta')],
      cooldowns: [],
      slowdowns,
      ...(recoveries !== undefined && { recoveries }),
    };
    hub.report(KEY, r);
  };
  scheduler.advance(100);
  return { scheduler, report, last, stop: () => loop.stop() };
}

const slow = (now: number, factor = 4): Slowdown => ({
  provider: 'alpha',
  model: 'chat',
  factor,
  until: now + 12_000,
});

describe('the operator spreading a slowdown the fleet agrees on', () => {
  it('pushes it within the debounce once two sidecars see it, with the probes asked of each sidecar, and holds it while one still does', () => {
    const { scheduler, report, last, stop } = pool();
    const first = scheduler.clock.now();
    report('s1', [slow(first)]);
    scheduler.advance(100);
    expect(last()?.slowdowns).toBeUndefined();
    report('s2', [slow(scheduler.clock.now(), 3)]);
    scheduler.advance(100);
    // The factor and the lapse both agree on: the smaller factor, the first sighting's lapse. Probes: one every
    // 2 s from the fleet (just published), so every 6 s from each of the three sidecars the hub knows.
    expect(last()?.slowdowns).toEqual([{ ...slow(first, 3), probeEveryMs: 6_000 }]);
    report('s2', []);
    scheduler.advance(100);
    // Published, it stays while any sidecar sees it (once the fleet leans away, only probes see it, one at a time).
    expect(last()?.slowdowns).toEqual([{ ...slow(first, 4), probeEveryMs: 6_000 }]);
    report('s1', []);
    scheduler.advance(100);
    expect(last()?.slowdowns).toBeUndefined();
    stop();
  });

  it('drops it at once when a probe saw the provider recover, publishes the recovery for 30 s, and needs a new quorum to bring it back', () => {
    const { scheduler, report, last, stop } = pool();
    report('s1', [slow(scheduler.clock.now())]);
    report('s2', [slow(scheduler.clock.now())]);
    scheduler.advance(100);
    expect(last()?.slowdowns).toHaveLength(1);
    const at = scheduler.clock.now() - 50;
    report('s3', [], [{ provider: 'alpha', model: 'chat', at }]);
    scheduler.advance(100);
    expect(last()?.slowdowns).toBeUndefined();
    expect(last()?.recoveries).toEqual([{ provider: 'alpha', model: 'chat', at }]);
    // s1's memory of the spell, reported before it heard of the recovery, is one sighting: no quorum.
    report('s1', [slow(scheduler.clock.now())]);
    scheduler.advance(100);
    expect(last()?.slowdowns).toBeUndefined();
    // Dropped by the first round after it is 30 s old.
    scheduler.advance(35_000);
    expect(last()?.recoveries).toBeUndefined();
    stop();
  });

  it('lets it lapse when the sidecars stop renewing it', () => {
    const { scheduler, report, last, stop } = pool();
    report('s1', [slow(scheduler.clock.now())]);
    report('s2', [slow(scheduler.clock.now())]);
    scheduler.advance(100);
    expect(last()?.slowdowns).toHaveLength(1);
    scheduler.advance(15_000);
    expect(last()?.slowdowns).toBeUndefined();
    stop();
  });
});
