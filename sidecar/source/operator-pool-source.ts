/**
 * A sidecar's pool from the operator's sync channel (api/sync/sync-protocol.ts): a long-lived SSE stream of full
 * snapshots, an ACK or NACK for each configuration version, reports posted back.
 *
 * - Static stability: the last applied snapshot is saved; at start it is applied at once (if any) while the
 *   stream connects, so a restarted sidecar serves even when the operator is away.
 * - A NACKed version is never applied again (the operator shows the reason in the pool's status); later
 *   snapshots of the same version are skipped until the version changes.
 * - Reconnects with full-jitter backoff; a stream silent for longer than `idleTimeoutMs` (the operator sends
 *   keep-alive comments) is dropped and redialled, so a half-open TCP connection does not pin stale config.
 */
import { request, type Dispatcher } from 'undici';
import { SnapshotSchema, type Ack, type Report, type Snapshot } from '../../api/sync/sync-protocol.ts';
import { API_GROUP, API_VERSION, KIND } from '../../api/v1alpha1/providerpool.ts';
import { PoolLoadError } from '../config/load-pool.ts';
import type { Rng } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { SseParser } from '../../core/sse/sse-parser.ts';
import {
  DEFAULT_RECONNECT_BACKOFF,
  reconnectDelayMs,
  type BackoffSettings,
} from '../sync/reconnect-backoff.ts';
import type { SnapshotStore } from '../sync/snapshot-store.ts';
import type { ApplyPool, PoolDocument, PoolSource } from './pool-source.ts';

export interface OperatorPoolSourceOptions {
  /** The operator's sync base URL, e.g. http://127.0.0.1:7070 or https://switchboard.switchboard.svc:7443. */
  readonly operatorUrl: string;
  readonly namespace: string;
  readonly pool: string;
  readonly sidecarId: string;
  /** A bearer token, read afresh for every call (projected tokens rotate); undefined sends none. */
  readonly token?: () => Promise<string | undefined>;
  /** Where the last good snapshot is kept; none: nothing is saved. */
  readonly store?: SnapshotStore;
  /** HTTP client for the operator (e.g. an undici Agent trusting the operator's CA). */
  readonly dispatcher?: Dispatcher;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly backoff?: BackoffSettings;
  readonly idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 45_000;
const MAX_PROBLEM_CHARS = 512;

export function documentOf(snapshot: Snapshot): PoolDocument {
  return {
    pool: {
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: KIND,
      metadata: { name: snapshot.pool, namespace: snapshot.namespace },
      spec: snapshot.spec,
    },
    version: snapshot.configVersion,
    fleet: {
      weights: snapshot.weights,
      cooldowns: snapshot.cooldowns,
      quotas: snapshot.quotas,
      ...(snapshot.slowdowns !== undefined && { slowdowns: snapshot.slowdowns }),
      ...(snapshot.recoveries !== undefined && { recoveries: snapshot.recoveries }),
    },
  };
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** An error with its cause: undici's "fetch failed" says nothing without it (a refused connection, a TLS failure). */
const describeFailure = (err: unknown): string => {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${messageOf(err)}${cause}`.slice(0, MAX_PROBLEM_CHARS);
};

/** Why a configuration was refused, on one line: a NACK's reason shows in the pool's Ready condition. */
const refusalOf = (err: unknown): string =>
  (err instanceof PoolLoadError ? err.problems.join('; ') : messageOf(err)).replace(/\s+/g, ' ').trim();

export class OperatorPoolSource implements PoolSource {
  readonly description: string;
  readonly #o: OperatorPoolSourceOptions;
  readonly #base: string;
  readonly #stop = new AbortController();
  #apply: ApplyPool | undefined;
  #loop: Promise<void> | undefined;
  #appliedVersion: string | undefined;
  #refusedVersion: string | undefined;
  #problem: string | undefined = 'waiting for the first configuration from the operator';
  /** True while a stream is open and has delivered a snapshot. */
  #live = false;

  constructor(options: OperatorPoolSourceOptions) {
    this.#o = options;
    const root = options.operatorUrl.replace(/\/+$/, '');
    this.#base = `${root}/sync/v1/pools/${encodeURIComponent(options.namespace)}/${encodeURIComponent(options.pool)}`;
    this.description = `operator ${root}, pool ${options.namespace}/${options.pool}`;
  }

  get sidecarId(): string {
    return this.#o.sidecarId;
  }

  /** The configuration version this sidecar runs. */
  get appliedVersion(): string | undefined {
    return this.#appliedVersion;
  }

  get connected(): boolean {
    return this.#live;
  }

  problem(): string | undefined {
    return this.#problem;
  }

  async start(apply: ApplyPool): Promise<void> {
    this.#apply = apply;
    const saved = await this.#o.store?.load();
    if (saved !== undefined && saved.namespace === this.#o.namespace && saved.pool === this.#o.pool) {
      try {
        this.#applySnapshot(saved, false);
        this.#problem = 'serving the saved configuration until the operator answers';
        this.#o.logger.info('serving the saved configuration while the operator connects', {
          version: saved.configVersion,
        });
      } catch (err) {
        this.#o.logger.warn('the saved configuration could not be applied', { error: messageOf(err) });
      }
    }
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async postReport(report: Report): Promise<void> {
    await this.#post('reports', report);
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      const delivered = await this.#streamOnce().then(
        (gotSnapshot) => gotSnapshot,
        (err: unknown) => {
          if (!this.#stop.signal.aborted) {
            this.#o.logger.warn('sync stream to the operator failed', { error: describeFailure(err) });
            // Before a first configuration, /readyz says why none came (an unreachable operator, a TLS failure).
            if (this.#appliedVersion === undefined) this.#problem = describeFailure(err);
          }
          return false;
        },
      );
      this.#live = false;
      if (this.#stop.signal.aborted) return;
      failures = delivered ? 0 : failures + 1;
      if (this.#appliedVersion !== undefined && this.#problem === undefined)
        this.#problem = 'the operator is unreachable; serving the last configuration it sent';
      const delay = reconnectDelayMs(failures, this.#o.backoff ?? DEFAULT_RECONNECT_BACKOFF, this.#o.rng);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#stop.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async #headers(): Promise<Record<string, string>> {
    const token = await this.#o.token?.();
    return token === undefined ? {} : { authorization: `Bearer ${token}` };
  }

  /** One stream, until it ends; true when it delivered at least one snapshot. */
  async #streamOnce(): Promise<boolean> {
    const idle = new AbortController();
    const signal = AbortSignal.any([this.#stop.signal, idle.signal]);
    const idleMs = this.#o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    let idleTimer = setTimeout(() => idle.abort(), idleMs);
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => idle.abort(), idleMs);
    };
    let delivered = false;
    try {
      const url = `${this.#base}/stream?sidecar=${encodeURIComponent(this.#o.sidecarId)}`;
      const res = await request(url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', ...(await this.#headers()) },
        signal,
        ...(this.#o.dispatcher === undefined ? {} : { dispatcher: this.#o.dispatcher }),
      });
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).slice(0, MAX_PROBLEM_CHARS);
        this.#problem = `the operator refused the sync stream (HTTP ${res.statusCode}): ${text}`;
        throw new Error(this.#problem);
      }
      const parser = new SseParser();
      for await (const chunk of res.body) {
        touch();
        for (const event of parser.feed(chunk as Buffer)) {
          if (event.event === 'snapshot') {
            await this.#onSnapshot(event.data);
            delivered = true;
            this.#live = true;
          } else if (event.event === 'problem') {
            this.#onProblem(event.data);
          }
        }
      }
      return delivered;
    } catch (err) {
      if (idle.signal.aborted && !this.#stop.signal.aborted)
        throw new Error(`no word from the operator for ${idleMs} ms`);
      if (delivered && this.#stop.signal.aborted) return delivered;
      throw err;
    } finally {
      clearTimeout(idleTimer);
    }
  }

  #onProblem(data: string): void {
    let text = data.slice(0, MAX_PROBLEM_CHARS);
    try {
      const parsed: unknown = JSON.parse(data);
      if (typeof parsed === 'object' && parsed !== null && 'message' in parsed)
        text = String(parsed.message).slice(0, MAX_PROBLEM_CHARS);
    } catch {
      // not JSON: keep the text as it came
    }
    this.#problem = this.#appliedVersion === undefined ? text : `${text}; serving the last configuration`;
    this.#o.logger.warn('the operator has no configuration for this sidecar', { problem: text });
  }

  async #onSnapshot(data: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.#o.logger.warn('the operator sent a snapshot that is not JSON');
      return;
    }
    const parsed = SnapshotSchema.safeParse(json);
    if (!parsed.success) {
      const version =
        typeof json === 'object' && json !== null && 'configVersion' in json
          ? String(json.configVersion)
          : '';
      const reason = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ');
      if (version !== '' && version !== this.#refusedVersion)
        await this.#refuse(version, `invalid snapshot: ${reason}`);
      return;
    }
    const snapshot = parsed.data;
    if (snapshot.configVersion === this.#refusedVersion) return;
    const isNewVersion = snapshot.configVersion !== this.#appliedVersion;
    try {
      this.#applySnapshot(snapshot, true);
    } catch (err) {
      await this.#refuse(snapshot.configVersion, refusalOf(err));
      return;
    }
    this.#problem = undefined;
    if (!isNewVersion) return;
    this.#o.logger.info('applied configuration from the operator', { version: snapshot.configVersion });
    await this.#post('acks', {
      sidecar: this.#o.sidecarId,
      configVersion: snapshot.configVersion,
      result: 'ACK',
    } satisfies Ack).catch((err: unknown) =>
      this.#o.logger.warn('could not acknowledge a configuration', { error: messageOf(err) }),
    );
  }

  #applySnapshot(snapshot: Snapshot, save: boolean): void {
    this.#apply?.(documentOf(snapshot));
    const isNewVersion = snapshot.configVersion !== this.#appliedVersion;
    this.#appliedVersion = snapshot.configVersion;
    if (save && isNewVersion && this.#o.store !== undefined) {
      this.#o.store
        .save(snapshot)
        .catch((err: unknown) =>
          this.#o.logger.warn('could not save the configuration for restarts', { error: messageOf(err) }),
        );
    }
  }

  async #refuse(version: string, reason: string): Promise<void> {
    this.#refusedVersion = version;
    this.#problem =
      this.#appliedVersion === undefined
        ? `configuration ${version} refused: ${reason}`
        : `configuration ${version} refused; serving ${this.#appliedVersion}: ${reason}`;
    this.#o.logger.error('refused a configuration from the operator', { version, reason });
    await this.#post('acks', {
      sidecar: this.#o.sidecarId,
      configVersion: version,
      result: 'NACK',
      reason: reason.slice(0, 1024),
    } satisfies Ack).catch((err: unknown) =>
      this.#o.logger.warn('could not send a NACK', { error: messageOf(err) }),
    );
  }

  async #post(path: 'acks' | 'reports', body: Ack | Report): Promise<void> {
    const res = await request(`${this.#base}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await this.#headers()) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
      ...(this.#o.dispatcher === undefined ? {} : { dispatcher: this.#o.dispatcher }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300)
      throw new Error(`the operator answered HTTP ${res.statusCode}: ${text.slice(0, MAX_PROBLEM_CHARS)}`);
  }
}
