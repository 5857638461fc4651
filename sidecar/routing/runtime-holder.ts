/**
 * Holds the running PoolRuntime and applies each document a PoolSource delivers: builds the next runtime from
 * the previous one (state of what stays is kept), takes the operator's weights in place of the spec's and
 * adopts the pool-wide cool-downs, sets each provider's quota budget (quota/quota-rates.ts), and keeps the metrics that describe the pool in step.
 *
 * Cool-downs are scoped as their fault (proxy/judge-outcome.ts): a provider's, or one logical model's at the provider
 * (`model` set), both reported and adopted as such.
 */
import type { Clock, Rng } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { BreakerTransition } from '../breaker/circuit-breaker.ts';
import type { SecretSources } from '../config/resolve-secrets.ts';
import type { SidecarMetrics } from '../metrics/metrics.ts';
import type { PoolDocument } from '../source/pool-source.ts';
import { applyFleetDirectives } from './fleet-directives.ts';
import { buildPoolRuntime, type PoolRuntime } from './pool-runtime.ts';

export interface RuntimeHolderDeps {
  readonly secrets: SecretSources;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  /**
   * Told of each cool-down this sidecar starts (a 429), to report to the operator at once: the provider's, or one
   * logical model's at the provider when `model` is set.
   */
  readonly onLocalCoolDown?: (provider: string, until: number, model?: string) => void;
}

export class RuntimeHolder {
  readonly #deps: RuntimeHolderDeps;
  #current: PoolRuntime | undefined;
  #version: string | undefined;

  constructor(deps: RuntimeHolderDeps) {
    this.#deps = deps;
  }

  get current(): PoolRuntime | undefined {
    return this.#current;
  }

  /** The version of the document the runtime was built from. */
  get version(): string | undefined {
    return this.#version;
  }

  /** Throws (PoolLoadError) to refuse the document; the running runtime then stays. */
  apply(document: PoolDocument): void {
    const { clock, metrics } = this.#deps;
    const previous = this.#current;
    const now = clock.now();
    const next = buildPoolRuntime(document.pool, previous, {
      secrets: this.#deps.secrets,
      rng: this.#deps.rng,
      now,
      onBreakerTransition: (provider, t, model) => this.#onBreakerTransition(provider, t, model),
      ...(document.fleet === undefined ? {} : { weights: document.fleet.weights }),
    });
    for (const [name, provider] of previous?.providers ?? []) {
      if (!next.providers.has(name))
        metrics.forgetProvider(
          name,
          provider.spec.models.map((m) => m.name),
        );
    }
    for (const [model, targets] of next.models) {
      for (const t of targets) metrics.weight.set({ provider: t.provider.name, model }, t.weight);
    }
    for (const [name, provider] of next.providers) {
      metrics.setBreakerState(name, provider.breaker.state(now));
      const report = this.#deps.onLocalCoolDown;
      provider.cooldown.onCoolDown = report === undefined ? undefined : (until) => report(name, until);
      for (const [model, health] of provider.targets) {
        health.cooldown.onCoolDown = report === undefined ? undefined : (until) => report(name, until, model);
        metrics.setModelBreakerState(name, model, health.breaker.state(now));
      }
    }
    applyFleetDirectives(next, document.fleet, now);
    this.#current = next;
    this.#version = document.version;
  }

  #onBreakerTransition(provider: string, t: BreakerTransition, model: string | undefined): void {
    if (model === undefined) this.#deps.metrics.setBreakerState(provider, t.to);
    else this.#deps.metrics.setModelBreakerState(provider, model, t.to);
    this.#deps.logger.warn('circuit breaker transition', {
      provider,
      ...(model !== undefined && { model }),
      from: t.from,
      to: t.to,
      reason: t.reason,
    });
  }
}
