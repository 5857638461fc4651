/**
 * The control loop of one ProviderPool (the I/O shell around the pure reconcile and fleet round):
 *
 * - on a spec change: reconcile, publish the new configuration to the pool's sidecars (debounced by the hub);
 * - every round (a few seconds): merge the sidecars' reports into weights, cool-downs and status; push only
 *   when what sidecars should run changed; write status only when it changed, at most every `statusIntervalMs`;
 * - on a report carrying a new cool-down: merge and push at once, so a 429 one sidecar saw reaches the others
 *   in well under a second instead of a round later.
 */
import {
  targetKey,
  type Cooldown,
  type Recovery,
  type Report,
  type Slowdown,
} from '../../api/sync/sync-protocol.ts';
import type { FleetAggregate } from '../fleet/fleet-aggregate.ts';
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import { ProviderPoolStatusSchema, type ProviderPoolStatus } from '../../api/v1alpha1/providerpool-status.ts';
import type { Logger } from '../../core/log.ts';
import { mergeCooldowns, sameCooldowns } from '../cooldown/pool-cooldowns.ts';
import {
  fleetSlowdowns,
  pruneSightings,
  recordSightings,
  slowdownQuorum,
  slowdownsMoved,
  type SlowdownSightings,
} from '../slowdown/fleet-slowdowns.ts';
import { forgetRecovered, recordRecoveries, withProbes } from '../slowdown/slowdown-probes.ts';
import { quotasChanged, type FleetQuotas } from '../quota/fleet-quotas.ts';
import { reconcilePool, type FleetObservation, type PoolObject } from '../reconcile/reconcile-pool.ts';
import { statusDiffers } from '../reconcile/pool-status.ts';
import type { SecretIndex } from '../reconcile/secret-references.ts';
import type { CancelTimer, Scheduler } from '../timing/scheduler.ts';
import type { PoolKey, SyncHub } from '../sync/sync-hub.ts';
import {
  DEFAULT_FLEET_ROUND_SETTINGS,
  fleetRound,
  initialWeights,
  INITIAL_CONTROL_STATE,
  type FleetRoundSettings,
  type PoolControlState,
} from './fleet-round.ts';

export interface PoolLoopDeps {
  readonly hub: SyncHub;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /**
   * Stores a pool's status (the status subresource, or a file in local mode); resolves to false when it did not
   * write (a replica that is not the leader), so the loop writes again once it can.
   */
  readonly writeStatus: (key: PoolKey, status: ProviderPoolStatus) => Promise<boolean>;
  readonly roundMs: number;
  readonly statusIntervalMs: number;
  readonly settings?: FleetRoundSettings;
}

/** What a dashboard shows of one pool: the latest computed status and the fleet behind it. */
export interface PoolView {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly spec: ProviderPoolSpec | undefined;
  readonly configVersion: string | undefined;
  /** The status as last computed (written to the API server or file at most every statusIntervalMs). */
  readonly status: ProviderPoolStatus | undefined;
  readonly providers: readonly {
    readonly name: string;
    readonly costPerSecondUSD: number;
    readonly tokensPerSecond: number;
    readonly inFlight: number;
    readonly sidecarsReporting: number;
    readonly breakersOpen: number;
  }[];
  readonly sidecars: readonly {
    readonly id: string;
    readonly connected: boolean;
    readonly appliedVersion: string | undefined;
    readonly nack: { readonly version: string; readonly reason: string } | undefined;
  }[];
  readonly cooldowns: readonly Cooldown[];
  readonly panic: boolean;
  readonly at: number;
}

interface Published {
  readonly configVersion: string;
  readonly spec: ProviderPoolSpec;
  readonly weights: Readonly<Record<string, number>>;
}

function storedStatus(pool: PoolObject): ProviderPoolStatus | undefined {
  if (pool.status === undefined) return undefined;
  const parsed = ProviderPoolStatusSchema.safeParse(pool.status);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A slowdown's renewal is pushed once it reaches this much further than the one the sidecars hold: sidecars send
 * sightings good for 12 s (sidecar/sync/slowdown-signal.ts), so the sidecars' copy never runs out while it lasts.
 */
const SLOWDOWN_RENEW_MS = 4_000;

const sameWeights = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

export class PoolLoop {
  readonly key: PoolKey;
  readonly #deps: PoolLoopDeps;
  #pool: PoolObject;
  #secrets: SecretIndex;
  #state: PoolControlState = INITIAL_CONTROL_STATE;
  #published: Published | undefined;
  #observation: FleetObservation | undefined;
  #fleet: FleetAggregate | undefined;
  #panic = false;
  #computed: ProviderPoolStatus | undefined;
  #stored: ProviderPoolStatus | undefined;
  #lastWriteAt = -Infinity;
  #writing = false;
  #cancelRound: CancelTimer | undefined;
  #stopped = false;
  /** The quota shares last pushed, per sidecar. */
  #quotas: FleetQuotas = new Map();
  /** Whether the shares last pushed held back the newcomers' reserve. */
  #reserveHeld = true;
  /** Each sidecar's latest slowdown sightings, and the fleet's slowdowns last pushed (fleet-slowdowns.ts). */
  #sightings: SlowdownSightings = new Map();
  #slowdowns: readonly Slowdown[] = [];
  /** When each published slowdown was first published (its probes thin out with age), by target key. */
  #slowdownSince = new Map<string, number>();
  /** Recoveries the fleet's probes saw, published for a while (slowdown-probes.ts). */
  #recoveries: readonly Recovery[] = [];

  constructor(pool: PoolObject, secrets: SecretIndex, deps: PoolLoopDeps) {
    this.key = { namespace: pool.metadata.namespace, name: pool.metadata.name };
    this.#deps = deps;
    this.#pool = pool;
    this.#secrets = secrets;
    this.#stored = storedStatus(pool);
    this.#reconcile();
    this.#scheduleRound();
  }

  /** The pool or its Secrets changed: reconcile now. */
  update(pool: PoolObject, secrets: SecretIndex): void {
    this.#pool = pool;
    this.#secrets = secrets;
    // What is stored is what the object says (a cluster); a file-backed pool carries none: keep what we wrote.
    this.#stored = storedStatus(pool) ?? this.#stored;
    this.#reconcile();
  }

  /**
   * A report arrived: spread at once any cool-down it brings, a slowdown the fleet now agrees on, and a recovery a
   * probe saw (the slowdown and everyone's sightings of it are dropped).
   */
  onReport(report: Report): void {
    if (this.#published === undefined) return;
    const slowdownNews =
      report.slowdowns !== undefined && (report.slowdowns.length > 0 || this.#sightings.size > 0);
    const recovered = report.recoveries !== undefined && report.recoveries.length > 0;
    if (report.cooldowns.length === 0 && !slowdownNews && !recovered) return;
    const now = this.#deps.scheduler.clock.now();
    const names = new Set(this.#published.spec.providers.map((p) => p.name));
    const merged = mergeCooldowns(this.#state.cooldowns, report.cooldowns, now, names);
    this.#sightings = forgetRecovered(
      recordSightings(this.#sightings, report.sidecar, report.slowdowns, now, names),
      report.recoveries,
    );
    const cooldownsChanged = !sameCooldowns(merged, this.#state.cooldowns);
    const recoveriesChanged = this.#updateRecoveries(report.recoveries, now, names);
    if (!this.#updateSlowdowns(now) && !cooldownsChanged && !recoveriesChanged) return;
    this.#state = { ...this.#state, cooldowns: merged };
    this.#publish(this.#published.configVersion, this.#published.spec, this.#published.weights);
  }

  /** The pool's requests per second, as the last round's reports demanded them; undefined before the first round. */
  #requestsPerSecond(): number | undefined {
    const providers = this.#fleet?.providers;
    if (providers === undefined) return undefined;
    let perMinute = 0;
    for (const p of providers.values()) for (const d of p.demand.values()) perMinute += d.requestsPerMinute;
    return perMinute / 60;
  }

  /** Adds a report's recoveries to those held and drops the expired; true when what is published changes. */
  #updateRecoveries(
    reported: readonly Recovery[] | undefined,
    now: number,
    names: ReadonlySet<string>,
  ): boolean {
    const next = recordRecoveries(this.#recoveries, reported, now, names);
    const same =
      next.length === this.#recoveries.length &&
      next.every((r, i) => {
        const p = this.#recoveries[i];
        return p !== undefined && p.provider === r.provider && p.model === r.model && p.at === r.at;
      });
    this.#recoveries = next;
    return !same;
  }

  /** Recomputes the fleet's slowdowns; true when they moved enough to push (fleet-slowdowns.ts). */
  #updateSlowdowns(now: number): boolean {
    // Sidecars sending to each provider, as the last round counted them; two before the first round.
    const providers = this.#fleet?.providers;
    const agreed = fleetSlowdowns(
      this.#sightings,
      now,
      (p) => slowdownQuorum(providers?.get(p)?.sidecarsReporting ?? 0),
      new Set(this.#slowdownSince.keys()),
    );
    const keys = new Set(agreed.map((s) => targetKey(s.provider, s.model)));
    for (const key of this.#slowdownSince.keys()) if (!keys.has(key)) this.#slowdownSince.delete(key);
    for (const key of keys) if (!this.#slowdownSince.has(key)) this.#slowdownSince.set(key, now);
    const sidecars = this.#deps.hub.sidecars(this.key).length;
    const next = withProbes(agreed, this.#slowdownSince, sidecars, now, this.#requestsPerSecond());
    if (!slowdownsMoved(this.#slowdowns, next, SLOWDOWN_RENEW_MS)) return false;
    this.#slowdowns = next;
    return true;
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelRound?.();
    this.#deps.hub.withdraw(this.key);
  }

  #scheduleRound(): void {
    if (this.#stopped) return;
    this.#cancelRound = this.#deps.scheduler.setTimer(this.#deps.roundMs, () => {
      this.#round();
      this.#scheduleRound();
    });
  }

  #round(): void {
    const published = this.#published;
    if (published === undefined) return;
    const result = fleetRound({
      spec: published.spec,
      configVersion: published.configVersion,
      sidecars: this.#deps.hub.sidecars(this.key),
      state: this.#state,
      now: this.#deps.scheduler.clock.now(),
      settings: this.#deps.settings ?? DEFAULT_FLEET_ROUND_SETTINGS,
      recoveries: this.#recoveries,
    });
    const cooldownsChanged = !sameCooldowns(result.cooldowns, this.#state.cooldowns);
    // Releasing or restoring the reserve moves every share by ~5 %: pushed even when under the noise tolerance.
    const quotasMoved =
      quotasChanged(this.#quotas, result.quotas) || result.reserveHeld !== this.#reserveHeld;
    this.#reserveHeld = result.reserveHeld;
    if (quotasMoved) this.#quotas = result.quotas;
    this.#state = result.state;
    this.#observation = result.observation;
    this.#fleet = result.fleet;
    this.#panic = result.panic;
    const now = this.#deps.scheduler.clock.now();
    const names = new Set(published.spec.providers.map((p) => p.name));
    this.#sightings = pruneSightings(this.#sightings, now, names);
    const slowdownsChanged = this.#updateSlowdowns(now);
    const recoveriesChanged = this.#updateRecoveries(undefined, now, names);
    if (
      quotasMoved ||
      cooldownsChanged ||
      slowdownsChanged ||
      recoveriesChanged ||
      !sameWeights(result.weights, published.weights)
    )
      this.#publish(published.configVersion, published.spec, result.weights);
    this.#reconcile();
  }

  #reconcile(): void {
    const now = new Date(this.#deps.scheduler.clock.now());
    let outcome = reconcilePool(this.#pool, this.#secrets, now, this.#observation);
    const config = outcome.config;
    if (config !== undefined && config.version !== this.#published?.configVersion) {
      this.#deps.logger.info('publishing configuration', {
        pool: `${this.key.namespace}/${this.key.name}`,
        version: config.version,
      });
      // A new spec starts from its own weights, tilted by its prices for an adaptive pool (the next rounds adapt
      // them), and no sidecar runs it yet.
      this.#state = { ...this.#state, weights: new Map() };
      if (this.#observation !== undefined) {
        const sidecars = { ...this.#observation.sidecars, onCurrentVersion: 0 };
        this.#observation = { ...this.#observation, sidecars, nacks: [] };
        outcome = reconcilePool(this.#pool, this.#secrets, now, this.#observation);
      }
      this.#publish(config.version, config.spec, initialWeights(config.spec));
      this.#writeStatus(outcome.status, true);
      return;
    }
    this.#writeStatus(outcome.status, false);
  }

  #publish(configVersion: string, spec: ProviderPoolSpec, weights: Readonly<Record<string, number>>): void {
    this.#published = { configVersion, spec, weights };
    this.#deps.hub.publish(this.key, {
      configVersion,
      spec,
      weights,
      cooldowns: this.#state.cooldowns,
      quotas: this.#quotas,
      slowdowns: this.#slowdowns,
      recoveries: this.#recoveries,
    });
  }

  view(): PoolView {
    const fleet = this.#fleet;
    const seconds = fleet?.seconds ?? 0;
    const names = this.#published?.spec.providers.map((p) => p.name) ?? [];
    return {
      namespace: this.key.namespace,
      name: this.key.name,
      generation: this.#pool.metadata.generation,
      spec: this.#published?.spec,
      configVersion: this.#published?.configVersion,
      status: this.#computed,
      providers: names.map((name) => {
        const a = fleet?.providers.get(name);
        return {
          name,
          costPerSecondUSD: a !== undefined && seconds > 0 ? a.costUSD / seconds : 0,
          tokensPerSecond: a !== undefined && seconds > 0 ? (a.inputTokens + a.outputTokens) / seconds : 0,
          inFlight: a?.inFlight ?? 0,
          sidecarsReporting: a?.sidecarsReporting ?? 0,
          breakersOpen: a?.breakersOpen ?? 0,
        };
      }),
      sidecars: this.#deps.hub.sidecars(this.key).map((s) => ({
        id: s.id,
        connected: s.connected,
        appliedVersion: s.appliedVersion,
        nack: s.nack,
      })),
      cooldowns: this.#state.cooldowns,
      panic: this.#panic,
      at: this.#deps.scheduler.clock.now(),
    };
  }

  /** Writes when the status changed, at most every statusIntervalMs unless `urgent` (a spec change). */
  #writeStatus(status: ProviderPoolStatus, urgent: boolean): void {
    this.#computed = status;
    if (this.#writing || !statusDiffers(this.#stored, status)) return;
    const now = this.#deps.scheduler.clock.now();
    if (!urgent && now - this.#lastWriteAt < this.#deps.statusIntervalMs) return;
    this.#writing = true;
    this.#lastWriteAt = now;
    this.#deps.writeStatus(this.key, status).then(
      (written) => {
        if (written) this.#stored = status;
        else this.#lastWriteAt = -Infinity;
        this.#writing = false;
      },
      (err: unknown) => {
        this.#writing = false;
        this.#deps.logger.warn('could not write pool status', {
          pool: `${this.key.namespace}/${this.key.name}`,
          error: err instanceof Error ? err.message : String(err),
        });
      },
    );
  }
}
