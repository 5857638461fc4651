import { systemRng, type Rng } from '../../core/clock.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { CoordinationV1Api, V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { describeKubeError, isConflict, isNotFound } from '../kube/api-error.ts';
import { Sleeper, systemScheduler, type Scheduler } from '../timing/scheduler.ts';
import { decide, nextSpec, releasedSpec, type LeaseSpec, type Observation } from './decide.ts';

export interface LeaderElectorOptions {
  readonly leases: CoordinationV1Api;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (the pod name, plus a random suffix when restarts could reuse it). */
  readonly identity: string;
  /** How long a lease is good for without renewal (default 15 s). */
  readonly leaseDurationMs?: number;
  /** A leader that has not renewed for this long steps down (default 10 s; must be below the lease duration). */
  readonly renewDeadlineMs?: number;
  /** How often to try to acquire or renew (default 2 s). */
  readonly retryPeriodMs?: number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  /** The holder seen changed (including to ourselves). */
  readonly onNewLeader?: (identity: string) => void;
  /**
   * Annotations the leader writes on the Lease with every acquire and renew (e.g. where it serves), so that
   * followers, which read the Lease anyway, find it without any other permission.
   */
  readonly annotations?: () => Readonly<Record<string, string>>;
  readonly scheduler?: Scheduler;
  readonly rng?: Rng;
  readonly logger?: Logger;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's (@kubernetes/client-node has none; it
 * gives the typed Lease API this loop reads and writes through): candidates try every retry period
 * (jittered) to take the lease when it is free or expired; the leader renews every retry period and steps
 * down when it could not renew within the renew deadline; on a graceful stop it releases the lease (clears
 * the holder) so a peer takes over at once. Writes are guarded by resourceVersion: a 409 means someone else
 * wrote first, and the next attempt re-reads.
 */
export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #scheduler: Scheduler;
  readonly #sleeper: Sleeper;
  readonly #rng: Rng;
  readonly #logger: Logger;
  #lease: V1Lease | undefined;
  #observed: Observation | undefined;
  #observedVersion: string | undefined;
  #leaderSeen = '';
  #leading = false;
  #lastRenewAt = 0;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.#renewDeadlineMs >= this.#leaseDurationMs)
      throw new Error('leader election: the renew deadline must be shorter than the lease duration');
    if (this.#retryPeriodMs >= this.#renewDeadlineMs)
      throw new Error('leader election: the retry period must be shorter than the renew deadline');
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#sleeper = new Sleeper(this.#scheduler);
    this.#rng = options.rng ?? systemRng;
    this.#logger = (options.logger ?? silentLogger).child({
      component: 'leader-election',
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last seen on the lease ('' when none). */
  get leader(): string {
    return this.#leaderSeen;
  }

  /** An annotation of the Lease as last read, while it names a holder (what that holder wrote). */
  leaderAnnotation(key: string): string | undefined {
    if (this.#leaderSeen === '') return undefined;
    return this.#lease?.metadata?.annotations?.[key];
  }

  start(): void {
    if (this.#running) return;
    this.#stopped = false;
    this.#running = this.#run();
  }

  /**
   * Stops campaigning. With `release` (the default) a leader clears the lease's holder so a peer takes over
   * at once; without it, it just stops renewing, as a crashed process would, and peers wait for expiry.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    this.#sleeper.wake();
    await this.#running;
    this.#running = undefined;
    if (this.#leading && (options.release ?? true)) await this.#release();
    this.#stepDown();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      // A renewal counts from before it was sent: the lease may have been written at any point after.
      const started = this.#scheduler.clock.now();
      const ok = await this.#attempt();
      const now = this.#scheduler.clock.now();
      if (ok) {
        this.#lastRenewAt = started;
        if (!this.#leading) {
          this.#leading = true;
          this.#logger.info('became leader');
          this.#options.onStartedLeading?.();
        }
      } else if (
        this.#leading &&
        (this.#leaderSeen !== this.#options.identity || now - this.#lastRenewAt >= this.#renewDeadlineMs)
      ) {
        this.#logger.warn('lost the lease; stepping down', { holder: this.#leaderSeen });
        this.#stepDown();
      }
      if (this.#stopped) break;
      // Leaders renew on the period; candidates spread out their attempts (client-go's jitter factor 1.2).
      const wait = this.#leading ? this.#retryPeriodMs : this.#retryPeriodMs * (1 + 1.2 * this.#rng());
      await this.#sleeper.sleep(wait);
    }
  }

  /** One read-decide-write round; true when we hold the lease afterwards. Never throws. */
  async #attempt(): Promise<boolean> {
    try {
      return await this.#withDeadline(this.#tryAcquireOrRenew());
    } catch (err) {
      if (!isConflict(err)) this.#logger.warn('lease attempt failed', { error: describeKubeError(err) });
      return false;
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { leases, namespace, name, identity } = this.#options;
    this.#lease = await leases.readNamespacedLease({ name, namespace }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    const now = this.#scheduler.clock.now();
    this.#observe(this.#lease, now);
    const verdict = decide({
      identity,
      observed: this.#observed,
      now,
      leaseDurationMs: this.#leaseDurationMs,
    });
    if (verdict.action === 'wait') return false;
    const spec = toV1(nextSpec(fromV1(this.#lease?.spec), verdict, identity, now, this.#leaseDurationMs));
    const annotations = { ...this.#lease?.metadata?.annotations, ...this.#options.annotations?.() };
    const written =
      verdict.action === 'create'
        ? await leases.createNamespacedLease({
            namespace,
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name, namespace, annotations },
              spec,
            },
          })
        : // A replace carries the resourceVersion read: a 409 means someone else wrote first.
          await leases.replaceNamespacedLease({
            name,
            namespace,
            body: { ...this.#lease, metadata: { ...this.#lease?.metadata, annotations }, spec },
          });
    if (verdict.action === 'acquire') this.#logger.info('acquired the lease', { reason: verdict.reason });
    this.#lease = written;
    this.#observe(written, now);
    return true;
  }

  #observe(lease: V1Lease | undefined, now: number): void {
    if (!lease) {
      this.#observed = undefined;
      this.#observedVersion = undefined;
      return;
    }
    const version = lease.metadata?.resourceVersion;
    if (this.#observed && version === this.#observedVersion) return;
    this.#observed = { spec: fromV1(lease.spec), observedAt: now };
    this.#observedVersion = version;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.#leaderSeen) {
      this.#leaderSeen = holder;
      if (holder) this.#options.onNewLeader?.(holder);
    }
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease?.spec || lease.spec.holderIdentity !== this.#options.identity) return;
    try {
      const now = this.#scheduler.clock.now();
      const spec = toV1(releasedSpec(fromV1(lease.spec), now));
      const { namespace, name } = this.#options;
      await this.#options.leases.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
      this.#logger.info('released the lease');
    } catch (err) {
      // Peers will take over once the lease expires.
      this.#logger.warn('could not release the lease', { error: describeKubeError(err) });
    }
  }

  #stepDown(): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#options.onStoppedLeading?.();
  }

  /** Fails an attempt that takes longer than the time left before a leader must step down. */
  #withDeadline<T>(work: Promise<T>): Promise<T> {
    const left = this.#leading
      ? this.#renewDeadlineMs - (this.#scheduler.clock.now() - this.#lastRenewAt)
      : this.#renewDeadlineMs;
    return new Promise<T>((resolve, reject) => {
      const cancel = this.#scheduler.setTimer(Math.max(0, left), () =>
        reject(new Error(`lease attempt took longer than ${left} ms`)),
      );
      work.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (err: unknown) => {
          cancel();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}

/**
 * The library types MicroTimes as V1MicroTime (a Date that prints six fractional digits) but hands over, and
 * passes on, the strings of the JSON; decide.ts works on those strings.
 */
function fromV1(spec: V1LeaseSpec | undefined): LeaseSpec {
  if (!spec) return {};
  const time = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);
  return { ...spec, acquireTime: time(spec.acquireTime), renewTime: time(spec.renewTime) };
}

function toV1(spec: LeaseSpec): V1LeaseSpec {
  const time = (value: string | null | undefined) => (value ? new V1MicroTime(Date.parse(value)) : undefined);
  return {
    holderIdentity: spec.holderIdentity ?? undefined,
    leaseDurationSeconds: spec.leaseDurationSeconds ?? undefined,
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? undefined,
  };
}
