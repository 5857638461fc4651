/**
 * The operator's side of the sync channel, without HTTP: which sidecars listen to which pool, what each pool's
 * current snapshot is, and what every sidecar last acknowledged and reported.
 *
 * Pushes are debounced per pool (a burst of changes becomes one snapshot within `debounceMs`) and each snapshot
 * is serialized once per pool: only the per-sidecar quota shares are spliced in per stream.
 */
import {
  SYNC_PROTOCOL,
  type Ack,
  type Cooldown,
  type QuotaShare,
  type Report,
  type Snapshot,
} from '../../api/sync/sync-protocol.ts';
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import type { Scheduler } from '../timing/scheduler.ts';
import type { SidecarRecord } from '../fleet/fleet-aggregate.ts';
import type { SnapshotSink } from './snapshot-sink.ts';

export interface PoolKey {
  readonly namespace: string;
  readonly name: string;
}

export const poolKeyString = (k: PoolKey): string => `${k.namespace}/${k.name}`;

/** What the operator wants every sidecar of a pool to run. */
export interface PoolContent {
  readonly configVersion: string;
  readonly spec: ProviderPoolSpec;
  readonly weights: Readonly<Record<string, number>>;
  readonly cooldowns: readonly Cooldown[];
  /** This sidecar's quota shares; sidecars not in the map get none. */
  readonly quotas: ReadonlyMap<string, readonly QuotaShare[]>;
}

export interface SyncHubOptions {
  readonly scheduler: Scheduler;
  /** A burst of changes within this time becomes one push (default 50 ms). */
  readonly debounceMs?: number;
  /** Reports older than this are forgotten (the fleet view reads a shorter window). */
  readonly reportRetentionMs: number;
  /** Called after each accepted report (the control loop spreads new cool-downs from here at once). */
  readonly onReport?: (key: PoolKey, report: Report) => void;
  /** A pool's problem for sidecars that listen to a pool the operator does not know (yet). */
  readonly unknownPool?: (key: PoolKey) => { reason: string; message: string };
}

interface Subscriber {
  readonly sidecar: string;
  readonly sink: SnapshotSink;
}

interface SidecarState {
  connections: number;
  appliedVersion: string | undefined;
  nack: { version: string; reason: string } | undefined;
  reports: Report[];
  lastSeen: number;
}

interface PoolState {
  content: PoolContent | undefined;
  revision: number;
  issuedAt: number;
  /** The snapshot JSON up to (not including) `"quotas":…}`; built once per push. */
  prefix: string | undefined;
  subscribers: Set<Subscriber>;
  sidecars: Map<string, SidecarState>;
  cancelPush: (() => void) | undefined;
}

export class SyncHub {
  readonly #options: SyncHubOptions;
  readonly #pools = new Map<string, PoolState>();
  /** Snapshots written (or queued) to streams, for metrics and tests. */
  pushes = 0;
  /** Streams open now. */
  openStreams = 0;
  /** Reports accepted, for metrics. */
  reports = 0;

  constructor(options: SyncHubOptions) {
    this.#options = options;
  }

  #pool(key: PoolKey): PoolState {
    const id = poolKeyString(key);
    let pool = this.#pools.get(id);
    if (pool === undefined) {
      pool = {
        content: undefined,
        revision: 0,
        issuedAt: 0,
        prefix: undefined,
        subscribers: new Set(),
        sidecars: new Map(),
        cancelPush: undefined,
      };
      this.#pools.set(id, pool);
    }
    return pool;
  }

  /** Sets what a pool's sidecars should run; pushed to all of them within the debounce time. */
  publish(key: PoolKey, content: PoolContent): void {
    const pool = this.#pool(key);
    pool.content = content;
    pool.cancelPush ??= this.#options.scheduler.setTimer(this.#options.debounceMs ?? 50, () => {
      pool.cancelPush = undefined;
      this.#push(key, pool);
    });
  }

  /** Forgets a deleted pool's content; listening sidecars are told it is gone. */
  withdraw(key: PoolKey): void {
    const pool = this.#pool(key);
    pool.cancelPush?.();
    pool.cancelPush = undefined;
    pool.content = undefined;
    pool.prefix = undefined;
    for (const s of pool.subscribers) this.#sendProblem(key, s);
  }

  /** A sidecar opened its stream: it gets the current snapshot at once. Returns the unsubscribe function. */
  subscribe(key: PoolKey, sidecar: string, sink: SnapshotSink): () => void {
    const pool = this.#pool(key);
    const subscriber: Subscriber = { sidecar, sink };
    pool.subscribers.add(subscriber);
    this.openStreams++;
    const state = this.#sidecar(pool, sidecar);
    state.connections++;
    if (pool.prefix !== undefined) this.#sendTo(pool, subscriber);
    else this.#sendProblem(key, subscriber);
    return () => {
      pool.subscribers.delete(subscriber);
      this.openStreams--;
      state.connections--;
      state.lastSeen = this.#options.scheduler.clock.now();
    };
  }

  /** A keep-alive comment on every open stream (one timer for all of them, not one per stream). */
  heartbeat(): void {
    for (const pool of this.#pools.values()) for (const s of pool.subscribers) s.sink.heartbeat();
  }

  /** Ends every open stream (this replica stops serving sidecars); they reconnect on their own. */
  disconnectAll(): void {
    for (const pool of this.#pools.values()) for (const s of pool.subscribers) s.sink.close();
  }

  acknowledge(key: PoolKey, ack: Ack): void {
    const state = this.#sidecar(this.#pool(key), ack.sidecar);
    if (ack.result === 'ACK') {
      state.appliedVersion = ack.configVersion;
      if (state.nack?.version === ack.configVersion) state.nack = undefined;
    } else {
      state.nack = { version: ack.configVersion, reason: ack.reason ?? 'no reason given' };
    }
  }

  report(key: PoolKey, report: Report): void {
    const state = this.#sidecar(this.#pool(key), report.sidecar);
    const now = this.#options.scheduler.clock.now();
    this.reports++;
    state.lastSeen = now;
    // A report names the configuration the sidecar runs: as good as an ACK (which may have been lost).
    if (report.configVersion !== undefined) state.appliedVersion = report.configVersion;
    state.reports.push(report);
    const oldest = now - this.#options.reportRetentionMs;
    while ((state.reports[0]?.windowEnd ?? Infinity) < oldest) state.reports.shift();
    this.#options.onReport?.(key, report);
  }

  /** Every sidecar of the pool that is connected or reported within the retention time. */
  sidecars(key: PoolKey): SidecarRecord[] {
    const pool = this.#pools.get(poolKeyString(key));
    if (pool === undefined) return [];
    const forgetBefore = this.#options.scheduler.clock.now() - this.#options.reportRetentionMs;
    const records: SidecarRecord[] = [];
    for (const [id, s] of pool.sidecars) {
      if (s.connections === 0 && s.lastSeen < forgetBefore) {
        pool.sidecars.delete(id);
        continue;
      }
      records.push({
        id,
        connected: s.connections > 0,
        appliedVersion: s.appliedVersion,
        nack: s.nack,
        reports: s.reports,
      });
    }
    return records;
  }

  /** The snapshot a sidecar would get now (what the stream sends), or undefined before the first push. */
  snapshotFor(key: PoolKey, sidecar: string): Snapshot | undefined {
    const pool = this.#pools.get(poolKeyString(key));
    if (pool?.prefix === undefined) return undefined;
    return JSON.parse(this.#json(pool, sidecar)) as Snapshot;
  }

  #sidecar(pool: PoolState, id: string): SidecarState {
    let s = pool.sidecars.get(id);
    if (s === undefined) {
      s = { connections: 0, appliedVersion: undefined, nack: undefined, reports: [], lastSeen: 0 };
      pool.sidecars.set(id, s);
    }
    return s;
  }

  #push(key: PoolKey, pool: PoolState): void {
    const content = pool.content;
    if (content === undefined) return;
    pool.revision++;
    pool.issuedAt = Math.floor(this.#options.scheduler.clock.now());
    const common: Omit<Snapshot, 'quotas'> = {
      protocol: SYNC_PROTOCOL,
      namespace: key.namespace,
      pool: key.name,
      configVersion: content.configVersion,
      revision: pool.revision,
      issuedAt: pool.issuedAt,
      spec: content.spec,
      weights: { ...content.weights },
      cooldowns: [...content.cooldowns],
    };
    const json = JSON.stringify(common);
    pool.prefix = `${json.slice(0, -1)},"quotas":`;
    for (const s of pool.subscribers) this.#sendTo(pool, s);
  }

  #json(pool: PoolState, sidecar: string): string {
    return `${pool.prefix}${JSON.stringify(pool.content?.quotas.get(sidecar) ?? [])}}`;
  }

  #sendTo(pool: PoolState, s: Subscriber): void {
    this.pushes++;
    s.sink.sendSnapshot(this.#json(pool, s.sidecar), pool.revision);
  }

  #sendProblem(key: PoolKey, s: Subscriber): void {
    const problem = this.#options.unknownPool?.(key) ?? {
      reason: 'PoolNotFound',
      message: `no ProviderPool ${poolKeyString(key)} is known to the operator`,
    };
    s.sink.sendProblem(JSON.stringify(problem));
  }
}
