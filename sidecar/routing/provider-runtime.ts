import { Agent, type Dispatcher } from 'undici';
import type {
  BreakerSpec,
  ContinuationMode,
  ProviderSpec,
  Timeouts,
} from '../../api/v1alpha1/providerpool.ts';
import type { Clock, Rng } from '../../core/clock.ts';
import type { Secret } from '../core/secret.ts';
import { CircuitBreaker, type BreakerTransition } from '../breaker/circuit-breaker.ts';
import { CoolDown } from '../retry/cooldown.ts';
import { ProviderRateLimits } from '../ratelimit/provider-rate-limits.ts';
import { QuotaBudget } from '../quota/quota-budget.ts';
import type { ProviderAdapter, TargetEndpoint } from '../providers/adapter.ts';
import { ActiveProber, type Scheduler } from '../health/active-prober.ts';
import { httpProbe } from '../health/probe-provider.ts';
import { TargetHealth } from './target-health.ts';

export interface ProviderRuntimeInit {
  readonly spec: ProviderSpec;
  readonly adapter: ProviderAdapter;
  readonly apiKey: Secret | undefined;
  readonly timeouts: Timeouts;
  readonly breaker: BreakerSpec;
  readonly rng: Rng;
  /** Time the runtime is built at (a new breaker starts closed then). */
  readonly now: number;
  /** A breaker changed phase: the provider's (`model` undefined) or one model's (target-health.ts). */
  readonly onBreakerTransition: (provider: string, transition: BreakerTransition, model?: string) => void;
  /** Runs active probes (breaker.activeProbeIntervalMs) and reads their time. */
  readonly scheduler: Scheduler;
  readonly clock: Clock;
}

/** Longest an active probe may take. */
const PROBE_TIMEOUT_MS = 10_000;

const KEEP_ALIVE_MS = 30_000;

/**
 * Per-provider state that outlives config reloads: the provider's breaker and cool-down (faults of the whole
 * provider), each logical model's (target-health.ts: faults of one model), and the connection pool.
 * A reload calls `reconfigure`; connections are only replaced when the origin or connect timeout changed.
 */
export class ProviderRuntime {
  readonly name: string;
  spec: ProviderSpec;
  adapter: ProviderAdapter;
  apiKey: Secret | undefined;
  timeouts: Timeouts;
  dispatcher: Dispatcher;
  readonly breaker: CircuitBreaker;
  readonly cooldown = new CoolDown();
  /** Budgets announced by the provider's rate-limit headers. */
  readonly rateLimits = new ProviderRateLimits();
  /** This sidecar's share of the provider's limits (spec limits); the holder sets its rates on every document. */
  readonly quota: QuotaBudget;
  /** This sidecar's share of per-model limits (spec models[].limits), by logical model; set by the holder too. */
  readonly modelQuotas = new Map<string, QuotaBudget>();
  /** Window over which a provider whose breaker closed again ramps up its share (breaker.slowStartMs). */
  slowStartMs: number;
  /** Probes the provider while its breaker is open, when the pool asks for it. */
  #prober: ActiveProber | undefined;
  #probeIntervalMs: number | undefined;
  /** Requests this sidecar has in flight to the provider, for `maxInFlight`. */
  inFlight = 0;
  /**
   * The provider refused the pool's credentials (401/403) and has not succeeded since: it is hard-down, and panic
   * routing never picks it. Cleared by a success and by a reload (which may bring a new key).
   */
  credentialsRefused = false;
  #dispatcherKey: string;
  /** Health per logical model this provider serves, made on first use. */
  readonly #targets = new Map<string, TargetHealth>();
  #init: ProviderRuntimeInit;

  constructor(init: ProviderRuntimeInit) {
    this.#init = init;
    this.name = init.spec.name;
    this.spec = init.spec;
    this.adapter = init.adapter;
    this.apiKey = init.apiKey;
    this.timeouts = init.timeouts;
    this.#dispatcherKey = dispatcherKey(init.spec, init.timeouts);
    this.dispatcher = createDispatcher(init.timeouts);
    this.breaker = new CircuitBreaker({
      now: init.now,
      settings: init.breaker,
      rng: init.rng,
      onTransition: (t) => {
        init.onBreakerTransition(this.name, t);
        if (t.to === 'open') this.#prober?.breakerOpened();
      },
    });
    this.slowStartMs = init.breaker.slowStartMs;
    this.quota = new QuotaBudget({}, init.now);
    this.#configureProbes(init);
  }

  /** Starts, restarts or stops active probes to match `breaker.activeProbeIntervalMs`. */
  #configureProbes(init: ProviderRuntimeInit): void {
    const intervalMs = init.breaker.activeProbeIntervalMs;
    if (intervalMs === this.#probeIntervalMs) return;
    this.#prober?.stop();
    this.#probeIntervalMs = intervalMs;
    this.#prober =
      intervalMs === undefined
        ? undefined
        : new ActiveProber({
            breakers: () => [this.breaker, ...[...this.#targets.values()].map((h) => h.breaker)],
            scheduler: init.scheduler,
            clock: init.clock,
            intervalMs,
            probe: httpProbe(
              () => this.adapter.probeRequest(this.#probeEndpoint()),
              () => this.dispatcher,
              PROBE_TIMEOUT_MS,
            ),
          });
    const now = init.clock.now();
    const open = [this.breaker, ...[...this.#targets.values()].map((h) => h.breaker)].some(
      (b) => b.state(now) === 'open',
    );
    if (open) this.#prober?.breakerOpened();
  }

  /** The provider's endpoint for probes, with its first model (a dialect may probe a model rather than list them). */
  #probeEndpoint(): TargetEndpoint {
    return {
      baseURL: this.spec.baseURL,
      model: this.spec.models[0]?.model ?? '',
      apiKey: this.apiKey,
      maxOutputTokens: undefined,
      apiVersion: this.spec.apiVersion,
    };
  }

  /**
   * The health of this provider's logical model `model`, kept across reloads while the model stays; made at `now`
   * (its breaker starts closed then) the first time it is asked for.
   */
  targetHealth(model: string, now: number): TargetHealth {
    let health = this.#targets.get(model);
    if (!health) {
      const init = this.#init;
      health = new TargetHealth({
        now,
        settings: init.breaker,
        rng: init.rng,
        onTransition: (t) => {
          this.#init.onBreakerTransition(this.name, t, model);
          if (t.to === 'open') this.#prober?.breakerOpened();
        },
      });
      this.#targets.set(model, health);
    }
    return health;
  }

  /** The logical models whose health is kept, with it. */
  get targets(): ReadonlyMap<string, TargetHealth> {
    return this.#targets;
  }

  reconfigure(init: ProviderRuntimeInit): void {
    this.#init = init;
    const models = new Set(init.spec.models.map((m) => m.name));
    for (const [model, health] of this.#targets) {
      if (models.has(model)) health.breaker.updateSettings(init.breaker);
      else this.#targets.delete(model);
    }
    this.credentialsRefused = false;
    this.spec = init.spec;
    this.adapter = init.adapter;
    this.apiKey = init.apiKey;
    this.timeouts = init.timeouts;
    this.breaker.updateSettings(init.breaker);
    this.slowStartMs = init.breaker.slowStartMs;
    this.#configureProbes(init);
    const key = dispatcherKey(init.spec, init.timeouts);
    if (key !== this.#dispatcherKey) {
      const old = this.dispatcher;
      this.dispatcher = createDispatcher(init.timeouts);
      this.#dispatcherKey = key;
      void old.close(); // waits for requests still in flight on the old pool
    }
  }

  /** How this provider continues an answer cut mid-stream: the pool's `continuation`, or its dialect's default. */
  get continuation(): ContinuationMode {
    const mode = this.spec.continuation;
    return mode === 'auto' ? this.adapter.continuation : mode;
  }

  /** Skipped by routing: at its in-flight limit. */
  get saturated(): boolean {
    return this.spec.maxInFlight !== undefined && this.inFlight >= this.spec.maxInFlight;
  }

  async close(): Promise<void> {
    this.#prober?.stop();
    await this.dispatcher.close();
  }
}

function dispatcherKey(spec: ProviderSpec, timeouts: Timeouts): string {
  return `${new URL(spec.baseURL).origin}|${timeouts.connectMs}`;
}

function createDispatcher(timeouts: Timeouts): Dispatcher {
  return new Agent({
    connect: { timeout: timeouts.connectMs },
    keepAliveTimeout: KEEP_ALIVE_MS,
    headersTimeout: timeouts.firstByteMs,
    bodyTimeout: timeouts.idleStreamMs,
  });
}
