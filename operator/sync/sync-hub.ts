/**
 * The operator's side of the sync channel, without HTTP: which sidecars listen to which pool, what each pool's
 * current snapshot is, and what every sidecar last acknowledged and reported.
 *
 * Pushes are debounced per pool (a burst of changes becomes one snapshot within `debounceMs`) and each snapshot
 * is serialized once per pool: only the per-sidecar quota shares are spliced in per stream.
 *
 * With several operator replicas every replica serves sidecars:
 * - the leader's hub also serves relays (`subscribeRelay`): one stream per follower and pool, carrying the
 *   snapshot and the quota shares of the sidecars that follower serves (`setRelayMembers`; they count as
 *   connected while the relay is open, and their ACKs and reports arrive forwarded);
 * - a follower's hub (`setFollowing(true)`) serves what the leader sent (`publishRelayed`) in preference to what
 *   its own pool loops compute; until the leader's word arrives it serves its own computation, keeping the quota
 *   shares last pushed (its own split sees only its sidecars and would hand each the whole limit).
 */
import {
  SYNC_PROTOCOL,
  type Ack,
  type Cooldown,
  type QuotaShare,
  type Recovery,
  type RelaySnapshot,
  type Report,
  type Slowdown,
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

/** Who delivered an ACK or report: the sidecar itself, or a replica relaying it (which is never relayed again). */
export type Via = 'sidecar' | 'relay';

/** What the operator wants every sidecar of a pool to run. */
export interface PoolContent {
  readonly configVersion: string;
  readonly spec: ProviderPoolSpec;
  readonly weights: Readonly<Record<string, number>>;
  readonly cooldowns: readonly Cooldown[];
  /** Slowdowns the fleet agrees on (operator/slowdown/fleet-slowdowns.ts); none when absent. */
  readonly slowdowns?: readonly Slowdown[];
  /** Slowdowns the fleet's probes saw end (operator/slowdown/slowdown-probes.ts); none when absent. */
  readonly recoveries?: readonly Recovery[];
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
  readonly onReport?: (key: PoolKey, report: Report, via: Via) => void;
  /** Called after each ACK or NACK (a follower forwards it to the leader). */
  readonly onAck?: (key: PoolKey, ack: Ack, via: Via) => void;
  /** Called when a sidecar opens or closes a stream of the pool (a follower tells the leader whom it serves). */
  readonly onMembership?: (key: PoolKey) => void;
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

/** A follower's relay stream (on the leader) and the sidecars it serves. */
interface RelayState {
  readonly sink: SnapshotSink;
  readonly members: Set<string>;
}

interface PoolState {
  content: PoolContent | undefined;
  /** Following: `content` came from the leader (what this replica's own loop computes is then not served). */
  relayed: boolean;
  /** Following: what this replica's own pool loop last computed (served when it leads again). */
  local: PoolContent | undefined;
  relays: Map<string, RelayState>;
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
  #following = false;
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
        relayed: false,
        local: undefined,
        relays: new Map(),
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
    if (this.#following) {
      pool.local = content;
      if (pool.relayed) return;
      content = { ...content, quotas: pool.content?.quotas ?? new Map() };
    }
    pool.content = content;
    this.#schedulePush(key, pool);
  }

  /** Following: what the leader sent for a pool; pushed to this replica's sidecars at once (the leader debounced). */
  publishRelayed(key: PoolKey, snapshot: RelaySnapshot): void {
    if (!this.#following) return;
    const pool = this.#pool(key);
    pool.relayed = true;
    pool.content = {
      configVersion: snapshot.configVersion,
      spec: snapshot.spec,
      weights: snapshot.weights,
      cooldowns: snapshot.cooldowns,
      ...(snapshot.slowdowns !== undefined && { slowdowns: snapshot.slowdowns }),
      ...(snapshot.recoveries !== undefined && { recoveries: snapshot.recoveries }),
      quotas: new Map(Object.entries(snapshot.quotas)),
    };
    pool.cancelPush?.();
    pool.cancelPush = undefined;
    this.#push(key, pool);
  }

  /**
   * Following: serve the leader's word (publishRelayed). Leading again: serve this replica's own computation at
   * once, keeping the shares last pushed until its next round splits the limits anew.
   */
  setFollowing(following: boolean): void {
    if (following === this.#following) return;
    this.#following = following;
    if (following) return;
    for (const [id, pool] of this.#pools) {
      const wasRelayed = pool.relayed;
      pool.relayed = false;
      if (!wasRelayed || pool.local === undefined) continue;
      pool.content = { ...pool.local, quotas: pool.content?.quotas ?? new Map() };
      pool.local = undefined;
      const [namespace = '', name = ''] = id.split('/');
      this.#schedulePush({ namespace, name }, pool);
    }
  }

  get following(): boolean {
    return this.#following;
  }

  #schedulePush(key: PoolKey, pool: PoolState): void {
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
    pool.local = undefined;
    pool.relayed = false;
    pool.prefix = undefined;
    for (const s of pool.subscribers) this.#sendProblem(key, s);
    for (const r of pool.relays.values()) r.sink.sendProblem(this.#problemJson(key));
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
    this.#options.onMembership?.(key);
    return () => {
      pool.subscribers.delete(subscriber);
      this.openStreams--;
      state.connections--;
      state.lastSeen = this.#options.scheduler.clock.now();
      this.#options.onMembership?.(key);
    };
  }

  /** The sidecars with a stream open to this replica (a follower relays for them). */
  localMembers(key: PoolKey): string[] {
    const pool = this.#pools.get(poolKeyString(key));
    return pool === undefined ? [] : [...new Set([...pool.subscribers].map((s) => s.sidecar))];
  }

  /** Pools with at least one sidecar on this replica. */
  servedPools(): PoolKey[] {
    const keys: PoolKey[] = [];
    for (const [id, pool] of this.#pools) {
      if (pool.subscribers.size === 0) continue;
      const [namespace = '', name = ''] = id.split('/');
      keys.push({ namespace, name });
    }
    return keys;
  }

  /**
   * Leader: a follower opened its relay for a pool; it gets the current snapshot at once. A newer relay of the same
   * replica replaces an older one. Returns the unsubscribe function (its sidecars then count as disconnected).
   */
  subscribeRelay(key: PoolKey, replica: string, sink: SnapshotSink): () => void {
    const pool = this.#pool(key);
    const previous = pool.relays.get(replica);
    if (previous !== undefined) {
      this.#setMembers(pool, previous, []);
      previous.sink.close();
    }
    const relay: RelayState = { sink, members: new Set() };
    pool.relays.set(replica, relay);
    this.openStreams++;
    if (pool.prefix !== undefined) this.#sendToRelay(pool, relay);
    else sink.sendProblem(this.#problemJson(key));
    return () => {
      this.openStreams--;
      this.#setMembers(pool, relay, []);
      if (pool.relays.get(replica) === relay) pool.relays.delete(replica);
    };
  }

  /** Leader: the sidecars a follower serves now; false when that follower has no relay open for the pool. */
  setRelayMembers(key: PoolKey, replica: string, sidecars: readonly string[]): boolean {
    const pool = this.#pools.get(poolKeyString(key));
    const relay = pool?.relays.get(replica);
    if (pool === undefined || relay === undefined) return false;
    // A sidecar that has a share already (it moved here from another replica) gets it at once; a newcomer gets
    // its share with the leader's next round, as a sidecar connected to the leader does.
    const added = sidecars.some((id) => !relay.members.has(id));
    this.#setMembers(pool, relay, sidecars);
    if (added && pool.prefix !== undefined) this.#sendToRelay(pool, relay);
    return true;
  }

  #setMembers(pool: PoolState, relay: RelayState, sidecars: readonly string[]): void {
    const next = new Set(sidecars);
    const now = this.#options.scheduler.clock.now();
    for (const id of relay.members) {
      if (next.has(id)) continue;
      const state = this.#sidecar(pool, id);
      state.connections--;
      state.lastSeen = now;
    }
    for (const id of next) if (!relay.members.has(id)) this.#sidecar(pool, id).connections++;
    relay.members.clear();
    for (const id of next) relay.members.add(id);
  }

  /** A keep-alive comment on every open stream (one timer for all of them, not one per stream). */
  heartbeat(): void {
    for (const pool of this.#pools.values()) {
      for (const s of pool.subscribers) s.sink.heartbeat();
      for (const r of pool.relays.values()) r.sink.heartbeat();
    }
  }

  /** Ends every open stream (this replica stops serving sidecars); they reconnect on their own. */
  disconnectAll(): void {
    for (const pool of this.#pools.values()) {
      for (const s of pool.subscribers) s.sink.close();
      for (const r of pool.relays.values()) r.sink.close();
    }
  }

  /** Leader → follower: ends the relays only (a replica that stops leading; its own sidecars stay). */
  disconnectRelays(): void {
    for (const pool of this.#pools.values()) for (const r of pool.relays.values()) r.sink.close();
  }

  acknowledge(key: PoolKey, ack: Ack, via: Via = 'sidecar'): void {
    const state = this.#sidecar(this.#pool(key), ack.sidecar);
    if (ack.result === 'ACK') {
      state.appliedVersion = ack.configVersion;
      if (state.nack?.version === ack.configVersion) state.nack = undefined;
    } else {
      state.nack = { version: ack.configVersion, reason: ack.reason ?? 'no reason given' };
    }
    this.#options.onAck?.(key, ack, via);
  }

  report(key: PoolKey, report: Report, via: Via = 'sidecar'): void {
    const state = this.#sidecar(this.#pool(key), report.sidecar);
    const now = this.#options.scheduler.clock.now();
    this.reports++;
    state.lastSeen = now;
    // A report names the configuration the sidecar runs: as good as an ACK (which may have been lost).
    if (report.configVersion !== undefined) state.appliedVersion = report.configVersion;
    state.reports.push(report);
    const oldest = now - this.#options.reportRetentionMs;
    while ((state.reports[0]?.windowEnd ?? Infinity) < oldest) state.reports.shift();
    this.#options.onReport?.(key, report, via);
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
      // Only when there are any: a snapshot of a pool without slowdowns reads as before.
      ...(content.slowdowns !== undefined &&
        content.slowdowns.length > 0 && { slowdowns: [...content.slowdowns] }),
      ...(content.recoveries !== undefined &&
        content.recoveries.length > 0 && { recoveries: [...content.recoveries] }),
    };
    const json = JSON.stringify(common);
    pool.prefix = `${json.slice(0, -1)},"quotas":`;
    for (const s of pool.subscribers) this.#sendTo(pool, s);
    for (const r of pool.relays.values()) this.#sendToRelay(pool, r);
  }

  #sendToRelay(pool: PoolState, relay: RelayState): void {
    const quotas: Record<string, readonly QuotaShare[]> = {};
    for (const id of relay.members) quotas[id] = pool.content?.quotas.get(id) ?? [];
    this.pushes++;
    relay.sink.sendSnapshot(`${pool.prefix}${JSON.stringify(quotas)}}`, pool.revision);
  }

  #json(pool: PoolState, sidecar: string): string {
    return `${pool.prefix}${JSON.stringify(pool.content?.quotas.get(sidecar) ?? [])}}`;
  }

  #sendTo(pool: PoolState, s: Subscriber): void {
    this.pushes++;
    s.sink.sendSnapshot(this.#json(pool, s.sidecar), pool.revision);
  }

  #sendProblem(key: PoolKey, s: Subscriber): void {
    s.sink.sendProblem(this.#problemJson(key));
  }

  #problemJson(key: PoolKey): string {
    const problem = this.#options.unknownPool?.(key) ?? {
      reason: 'PoolNotFound',
      message: `no ProviderPool ${poolKeyString(key)} is known to the operator`,
    };
    return JSON.stringify(problem);
  }
}
