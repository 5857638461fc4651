import type {
  ProviderPool,
  ProviderPoolSpec,
  ProviderSpec,
  Timeouts,
} from '../../api/v1alpha1/providerpool.ts';
import { systemClock, type Clock, type Rng } from '../../core/clock.ts';
import { timerScheduler, type Scheduler } from '../health/active-prober.ts';
import { createRedactor, type Redactor } from '../core/redactor.ts';
import type { Secret } from '../core/secret.ts';
import { OBJECTIVE_MIX } from '../../core/objective-mix.ts';
import { createStrategy, type AdaptiveOptions } from '../balancer/strategies/index.ts';
import { TargetStats } from '../balancer/target-stats.ts';
import type { Strategy, StrategyName } from '../balancer/types.ts';
import type { BreakerTransition } from '../breaker/circuit-breaker.ts';
import { RetryBudget } from '../retry/retry-budget.ts';
import { resolveApiKey, type SecretSources } from '../config/resolve-secrets.ts';
import { adapterFor, supportedDialects } from '../providers/registry.ts';
import { PoolLoadError } from '../config/load-pool.ts';
import { ProviderRuntime } from './provider-runtime.ts';
import { targetKey, type Target } from './target.ts';
import { modelChain } from './context-window.ts';

export interface RuntimeDeps {
  readonly secrets: SecretSources;
  readonly rng: Rng;
  readonly now: number;
  /** A breaker changed phase: the provider's (`model` undefined) or one logical model's at the provider. */
  readonly onBreakerTransition: (provider: string, transition: BreakerTransition, model?: string) => void;
  /** Cluster-wide weights from the operator, used in place of the spec's; absent standalone. */
  readonly weights?: Readonly<Record<string, number>>;
  /** Active probes' timers and clock; Node's timers and the system clock unless given (tests: virtual time). */
  readonly scheduler?: Scheduler;
  readonly clock?: Clock;
}

/**
 * The routing view of one loaded ProviderPool. Immutable once built: a reload builds a new one from the new
 * manifest and the previous runtime, carrying over the state of providers, targets and strategies that stay,
 * and requests in flight keep the runtime they started with.
 */
export class PoolRuntime {
  readonly pool: ProviderPool;
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  /** Logical model → its targets, in manifest order. */
  readonly models: ReadonlyMap<string, readonly Target[]>;
  /** Logical model → the models that serve its requests too long for it (spec.models[].fallbacks). */
  readonly fallbacks: ReadonlyMap<string, readonly string[]>;
  readonly retryBudget: RetryBudget;
  /** Hides the pool's API keys in provider text bound for apps, logs and metrics. */
  readonly redactor: Redactor;
  readonly #strategies: Map<string, Strategy>;
  /** `modelChain` per logical model, worked out once per pool rather than for every request. */
  readonly #chains = new Map<string, readonly string[]>();

  constructor(parts: {
    pool: ProviderPool;
    providers: ReadonlyMap<string, ProviderRuntime>;
    models: ReadonlyMap<string, readonly Target[]>;
    retryBudget: RetryBudget;
    strategies: Map<string, Strategy>;
  }) {
    this.pool = parts.pool;
    this.providers = parts.providers;
    this.models = parts.models;
    this.fallbacks = new Map((parts.pool.spec.models ?? []).map((m) => [m.name, m.fallbacks]));
    this.retryBudget = parts.retryBudget;
    this.#strategies = parts.strategies;
    this.redactor = createRedactor([...parts.providers.values()].map((p) => p.apiKey));
  }

  get defaultStrategy(): StrategyName {
    return this.pool.spec.strategy.type;
  }

  /**
   * The logical models that may serve a request for `model`: itself, then its fallbacks (context-window.ts's
   * `modelChain`). Only the pool's own models are asked for (an unknown one is refused before), so the cache is as
   * small as the pool.
   */
  modelChain(model: string): readonly string[] {
    let chain = this.#chains.get(model);
    if (chain === undefined) {
      chain = modelChain(model, this.fallbacks);
      this.#chains.set(model, chain);
    }
    return chain;
  }

  /** One strategy instance per logical model and strategy, so stateful strategies keep their cursor. */
  strategy(model: string, name: StrategyName): Strategy {
    const key = `${model}|${name}`;
    let strategy = this.#strategies.get(key);
    if (!strategy) {
      strategy =
        name === 'adaptive' ? createStrategy(name, adaptiveOptions(this.pool.spec)) : createStrategy(name);
      this.#strategies.set(key, strategy);
    }
    return strategy;
  }

  /** The strategies' state (cursors, smooth-WRR weights) of the models that stay, for the next reload's runtime. */
  strategiesFor(models: ReadonlyMap<string, unknown>): Map<string, Strategy> {
    return new Map([...this.#strategies].filter(([key]) => models.has(key.slice(0, key.lastIndexOf('|')))));
  }
}

/**
 * The adaptive strategy's local lean toward faster providers follows the pool's objective: none for `cost` (the
 * operator's weights rank by price, and a lean toward fast providers would undo them), half for `balanced`.
 */
const LATENCY_LEAN: Record<ProviderPoolSpec['strategy']['adaptive']['objective'], number> = {
  latency: 0.5,
  balanced: 0.25,
  cost: 0,
};

/**
 * A slowdown costs a provider the weight the operator would take from it: its score counts latency as
 * OBJECTIVE_MIX[objective].latency × ln(latency), and its softmax divides scores by the temperature, so a provider
 * k times slower than the operator last measured gets k^(−latency weight ÷ temperature) of its weight (10 for a
 * latency pool at the default 0.1, 2 for a cost pool, where a slower cheap provider is still the cheap one).
 */
function adaptiveOptions(spec: ProviderPoolSpec): AdaptiveOptions {
  const { objective, temperature } = spec.strategy.adaptive;
  return {
    latencyExponent: LATENCY_LEAN[objective],
    slowdownExponent: OBJECTIVE_MIX[objective].latency / temperature,
  };
}

/** The pool's timeouts with the provider's overrides on top (only those it sets). */
function mergeTimeouts(pool: Timeouts, provider: ProviderSpec['timeouts']): Timeouts {
  const merged = { ...pool };
  // The provider's keys too: an optional timeout (firstTokenMs) may be set for one provider and not for the pool.
  for (const key of Object.keys(provider ?? {}) as (keyof Timeouts)[]) {
    const override = provider?.[key];
    if (override !== undefined) merged[key] = override;
  }
  return merged;
}

export function buildPoolRuntime(
  pool: ProviderPool,
  previous: PoolRuntime | undefined,
  deps: RuntimeDeps,
): PoolRuntime {
  const { spec } = pool;
  const problems: string[] = [];
  const providers = new Map<string, ProviderRuntime>();
  spec.providers.forEach((p, i) => {
    const adapter = adapterFor(p.type);
    if (!adapter) {
      problems.push(
        `spec.providers[${i}].type: dialect "${p.type}" is not supported by this sidecar yet (supported: ${supportedDialects().join(', ')})`,
      );
      return;
    }
    let apiKey: Secret | undefined;
    try {
      apiKey = p.apiKey ? resolveApiKey(p.apiKey, deps.secrets) : undefined;
    } catch (err) {
      problems.push(`spec.providers[${i}].apiKey: ${(err as Error).message}`);
      return;
    }
    const init = {
      spec: p,
      adapter,
      apiKey,
      timeouts: mergeTimeouts(spec.timeouts, p.timeouts),
      breaker: spec.breaker,
      rng: deps.rng,
      now: deps.now,
      onBreakerTransition: deps.onBreakerTransition,
      scheduler: deps.scheduler ?? timerScheduler,
      clock: deps.clock ?? systemClock,
    };
    const kept = previous?.providers.get(p.name);
    if (kept) kept.reconfigure(init);
    providers.set(p.name, kept ?? new ProviderRuntime(init));
  });
  if (problems.length > 0) throw new PoolLoadError(pool.metadata.name, problems);

  const previousTargets = new Map<string, Target>();
  for (const targets of previous?.models.values() ?? [])
    for (const t of targets) previousTargets.set(t.key, t);

  const models = new Map<string, Target[]>();
  for (const p of spec.providers) {
    const provider = providers.get(p.name);
    if (!provider) continue;
    for (const m of p.models) {
      const key = targetKey(p.name, m.name);
      const target: Target = {
        key,
        logicalModel: m.name,
        provider,
        health: provider.targetHealth(m.name, deps.now),
        contextWindow: m.contextWindow,
        endpoint: {
          baseURL: p.baseURL,
          model: m.model,
          apiKey: provider.apiKey,
          maxOutputTokens: m.maxOutputTokens,
          apiVersion: p.apiVersion,
        },
        weight: deps.weights?.[p.name] ?? p.weight,
        priority: p.priority,
        price: m.pricing,
        stats: previousTargets.get(key)?.stats ?? new TargetStats(),
      };
      const list = models.get(m.name) ?? [];
      list.push(target);
      models.set(m.name, list);
    }
  }

  const budgetSettings = {
    ratio: spec.retry.budgetRatio,
    minRetriesPerSecond: spec.retry.minRetriesPerSecond,
  };
  const retryBudget = previous?.retryBudget ?? new RetryBudget(budgetSettings);
  retryBudget.updateSettings(budgetSettings);

  if (previous) {
    for (const [name, old] of previous.providers) if (!providers.has(name)) void old.close();
  }
  const strategies = previous?.strategiesFor(models) ?? new Map<string, Strategy>();
  // Adaptive instances are built for the pool's objective: a new objective gets new ones (they only hold WRR credit).
  if (previous && previous.pool.spec.strategy.adaptive.objective !== spec.strategy.adaptive.objective)
    for (const key of [...strategies.keys()]) if (key.endsWith('|adaptive')) strategies.delete(key);
  return new PoolRuntime({ pool, providers, models, retryBudget, strategies });
}
