/**
 * A follower replica's link to the leader, so that every replica can serve sidecars while only the leader decides
 * (api/sync/sync-protocol.ts, "Relaying"):
 *
 *   sidecars ──stream/acks/reports──► follower ──relay stream (one per pool), members, acks, reports──► leader
 *   sidecars ◄──snapshots (own quota shares)── follower ◄──RelaySnapshots (its sidecars' shares)────── leader
 *
 * For each pool with sidecars on this replica, one SSE stream to the leader delivers the leader's snapshots
 * (hub.publishRelayed pushes them on at once); after it opens, and whenever sidecars come or go, the follower posts
 * the list of its sidecars so the leader counts them as connected and gives them quota shares. ACKs and reports
 * are forwarded as they arrive (reports carry new cool-downs, which the leader spreads at once). A forwarded post
 * that fails is not retried: the next report covers a fresh window, as when a sidecar posts directly.
 *
 * The leader's address comes from the Lease (`leaderUrl`, read anew before every dial): a stream that ends, or a
 * leader that changed, makes the pool's loop dial again with full-jitter backoff. Sidecars are never disconnected
 * for this: they keep the last snapshot the follower gave them.
 */
import { request, type Dispatcher } from 'undici';
import {
  RelaySnapshotSchema,
  type Ack,
  type RelayMembers,
  type Report,
} from '../../api/sync/sync-protocol.ts';
import type { Rng } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { SseParser } from '../../core/sse/sse-parser.ts';
import { poolKeyString, type PoolKey, type SyncHub, type Via } from './sync-hub.ts';
import { RELAYED_HEADER } from './sync-routes.ts';

export interface LeaderRelayOptions {
  readonly hub: SyncHub;
  /** This replica's name for the leader (its leader-election identity). */
  readonly replica: string;
  /** The leader's sync base URL as the Lease says, or undefined when there is no other leader now. */
  readonly leaderUrl: () => string | undefined;
  /** A bearer token (the operator's own ServiceAccount token, audience switchboard), read for every call. */
  readonly token?: () => Promise<string | undefined>;
  readonly dispatcher?: Dispatcher;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Reconnect backoff: a random wait in [0, min(maxMs, baseMs·2^failures)]. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** A relay stream silent this long is dropped and dialled again (the leader sends keep-alives every 15 s). */
  readonly idleTimeoutMs?: number;
  /** Membership changes within this time are posted once. */
  readonly membersDelayMs?: number;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const base = (url: string, key: PoolKey): string =>
  `${url.replace(/\/+$/, '')}/sync/v1/pools/${encodeURIComponent(key.namespace)}/${encodeURIComponent(key.name)}`;

/** One pool's relay: a stream to the leader, redialled until stopped. */
class PoolRelay {
  readonly #relay: LeaderRelay;
  readonly #o: LeaderRelayOptions;
  readonly key: PoolKey;
  readonly #stop = new AbortController();
  #current: AbortController | undefined;
  /** The leader URL the open stream goes to (members are posted there). */
  #liveUrl: string | undefined;
  #membersTimer: NodeJS.Timeout | undefined;
  /** Ends the wait before the next dial (set while waiting). */
  #wake: (() => void) | undefined;
  #failures = 0;
  readonly done: Promise<void>;

  constructor(relay: LeaderRelay, options: LeaderRelayOptions, key: PoolKey) {
    this.#relay = relay;
    this.#o = options;
    this.key = key;
    this.done = this.#run();
  }

  stop(): void {
    clearTimeout(this.#membersTimer);
    this.#stop.abort();
  }

  /** Drops the open stream, or ends the wait (the leader changed): the loop dials again at once. */
  redial(): void {
    this.#failures = 0;
    this.#current?.abort();
    this.#wake?.();
  }

  membersChanged(): void {
    if (this.#liveUrl === undefined || this.#membersTimer !== undefined) return;
    this.#membersTimer = setTimeout(() => {
      this.#membersTimer = undefined;
      this.#postMembers();
    }, this.#o.membersDelayMs ?? 20);
    this.#membersTimer.unref();
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const url = this.#o.leaderUrl();
      let delivered = false;
      if (url !== undefined) {
        delivered = await this.#streamOnce(url).catch((err: unknown) => {
          if (!this.#stop.signal.aborted)
            this.#o.logger.warn('relay to the leader failed', {
              pool: poolKeyString(this.key),
              leader: url,
              error: messageOf(err),
            });
          return false;
        });
      }
      this.#liveUrl = undefined;
      if (this.#stop.signal.aborted) return;
      this.#failures = delivered ? 0 : this.#failures + 1;
      const { baseMs, maxMs } = this.#o.backoff ?? { baseMs: 250, maxMs: 10_000 };
      const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(this.#failures, 30));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.floor(this.#o.rng() * ceiling));
        const signal = this.#stop.signal;
        function wake(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          resolve();
        }
        this.#wake = wake;
        signal.addEventListener('abort', wake);
      });
      this.#wake = undefined;
    }
  }

  /** One relay stream, until it ends; true when it delivered a snapshot. */
  async #streamOnce(url: string): Promise<boolean> {
    const current = new AbortController();
    this.#current = current;
    const signal = AbortSignal.any([this.#stop.signal, current.signal]);
    const idleMs = this.#o.idleTimeoutMs ?? 45_000;
    let idleTimer = setTimeout(() => current.abort(), idleMs);
    let delivered = false;
    try {
      const res = await request(
        `${base(url, this.key)}/relay?replica=${encodeURIComponent(this.#o.replica)}`,
        {
          method: 'GET',
          headers: { accept: 'text/event-stream', ...(await this.#relay.headers()) },
          signal,
          ...(this.#o.dispatcher === undefined ? {} : { dispatcher: this.#o.dispatcher }),
        },
      );
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).slice(0, 512);
        throw new Error(`the leader refused the relay (HTTP ${res.statusCode}): ${text}`);
      }
      this.#o.logger.info('relaying to the leader', { pool: poolKeyString(this.key), leader: url });
      const parser = new SseParser();
      for await (const chunk of res.body) {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => current.abort(), idleMs);
        for (const event of parser.feed(chunk as Buffer)) {
          if (event.event !== 'snapshot') continue;
          let json: unknown;
          try {
            json = JSON.parse(event.data);
          } catch {
            json = undefined;
          }
          const parsed = RelaySnapshotSchema.safeParse(json);
          if (!parsed.success) {
            this.#o.logger.warn('the leader sent a relay snapshot that does not parse', {
              pool: poolKeyString(this.key),
            });
            continue;
          }
          this.#o.hub.publishRelayed(this.key, parsed.data);
          if (!delivered) {
            delivered = true;
            this.#liveUrl = url;
            this.#postMembers();
          }
        }
      }
      return delivered;
    } catch (err) {
      if (delivered && signal.aborted) return delivered;
      throw err;
    } finally {
      clearTimeout(idleTimer);
    }
  }

  #postMembers(): void {
    const url = this.#liveUrl;
    if (url === undefined) return;
    const body: RelayMembers = { replica: this.#o.replica, sidecars: this.#o.hub.localMembers(this.key) };
    this.#relay.post(url, this.key, 'members', body).catch((err: unknown) =>
      this.#o.logger.warn('could not tell the leader which sidecars this replica serves', {
        pool: poolKeyString(this.key),
        error: messageOf(err),
      }),
    );
  }
}

export class LeaderRelay {
  readonly #o: LeaderRelayOptions;
  readonly #pools = new Map<string, PoolRelay>();
  #running = false;
  #leader: string | undefined;

  constructor(options: LeaderRelayOptions) {
    this.#o = options;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts relaying every pool this replica serves (this replica follows). */
  start(): void {
    this.#running = true;
    this.#leader = this.#o.leaderUrl();
    for (const key of this.#o.hub.servedPools()) this.membershipChanged(key);
  }

  /** Stops every relay (this replica leads, or shuts down). */
  async stop(): Promise<void> {
    this.#running = false;
    const stopping = [...this.#pools.values()];
    this.#pools.clear();
    for (const p of stopping) p.stop();
    await Promise.all(stopping.map((p) => p.done));
  }

  /** Sidecars came or went on this replica: relay the pool while it has any, and tell the leader. */
  membershipChanged(key: PoolKey): void {
    if (!this.#running) return;
    const id = poolKeyString(key);
    const relay = this.#pools.get(id);
    const served = this.#o.hub.localMembers(key).length > 0;
    if (relay === undefined) {
      if (served) this.#pools.set(id, new PoolRelay(this, this.#o, key));
      return;
    }
    if (served) {
      relay.membersChanged();
      return;
    }
    relay.stop();
    this.#pools.delete(id);
  }

  /** The Lease may name another leader: streams to an old one are dropped and dialled anew. */
  leaderChanged(): void {
    const url = this.#o.leaderUrl();
    if (url === this.#leader) return;
    this.#leader = url;
    for (const p of this.#pools.values()) p.redial();
  }

  /** Forwards what a sidecar sent this replica; never what another replica relayed here (no loops). */
  forwardReport(key: PoolKey, report: Report, via: Via = 'sidecar'): void {
    if (via === 'sidecar') this.#forward(key, 'reports', report);
  }

  forwardAck(key: PoolKey, ack: Ack, via: Via = 'sidecar'): void {
    if (via === 'sidecar') this.#forward(key, 'acks', ack);
  }

  #forward(key: PoolKey, path: 'reports' | 'acks', body: Report | Ack): void {
    const url = this.#o.leaderUrl();
    if (!this.#running || url === undefined) return;
    this.post(url, key, path, body).catch((err: unknown) =>
      this.#o.logger.debug('could not forward to the leader', {
        pool: poolKeyString(key),
        path,
        error: messageOf(err),
      }),
    );
  }

  async headers(): Promise<Record<string, string>> {
    const token = await this.#o.token?.();
    return token === undefined ? {} : { authorization: `Bearer ${token}` };
  }

  async post(url: string, key: PoolKey, path: string, body: unknown): Promise<void> {
    const res = await request(`${base(url, key)}/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [RELAYED_HEADER]: this.#o.replica,
        ...(await this.headers()),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
      ...(this.#o.dispatcher === undefined ? {} : { dispatcher: this.#o.dispatcher }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300)
      throw new Error(`the leader answered HTTP ${res.statusCode}: ${text.slice(0, 512)}`);
  }
}
