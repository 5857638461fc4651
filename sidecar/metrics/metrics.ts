/**
 * Every Prometheus metric the sidecar exports, registered in one place with help text. Each sidecar instance
 * owns its registry, so several can run in one process (tests) without sharing counters. The counters and the
 * gauge every request moves are batched (batched-metrics.ts): updated in plain numbers, read by prom-client at
 * each scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BatchedCounter, BatchedGauge } from './batched-metrics.ts';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export type StatusClass = '2xx' | '4xx' | '5xx' | 'error';

/** 499 (nginx's "client closed request", never sent) counts as an error: no answer reached anyone. */
export function statusClass(status: number | undefined): StatusClass {
  if (status === undefined || status === 499) return 'error';
  if (status < 300) return '2xx';
  if (status < 500) return '4xx';
  return '5xx';
}

export const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

export class SidecarMetrics {
  readonly registry = new Registry();

  readonly requests = new BatchedCounter({
    name: 'switchboard_requests_total',
    help: 'Requests answered to applications, by the provider that served them ("none" when none did), logical model and status class.',
    labelNames: ['provider', 'model', 'status_class'] as const,
    registers: [this.registry],
  });
  readonly attempts = new BatchedCounter({
    name: 'switchboard_upstream_attempts_total',
    help: 'Upstream attempts, by provider, logical model and outcome status class ("error" for transport errors and timeouts).',
    labelNames: ['provider', 'model', 'status_class'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'switchboard_request_duration_seconds',
    help: 'Time from receiving a request to the end of its answer, by serving provider and logical model.',
    labelNames: ['provider', 'model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: 'switchboard_time_to_first_token_seconds',
    help: 'Time from receiving a streaming request to its first content chunk, by provider and logical model.',
    labelNames: ['provider', 'model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly inFlight = new BatchedGauge({
    name: 'switchboard_in_flight_requests',
    help: 'Upstream requests started and not yet finished, by provider.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'switchboard_retries_total',
    help: 'Attempts after the first, by the provider that failed before and the reason.',
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });
  readonly retryBudgetExhausted = new Counter({
    name: 'switchboard_retry_budget_exhausted_total',
    help: 'Retries not made because the retry budget was spent.',
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: 'switchboard_fallbacks_total',
    help: 'Requests served by another provider than the first one picked, by the first and the serving provider.',
    labelNames: ['from_provider', 'to_provider'] as const,
    registers: [this.registry],
  });
  readonly streamContinuations = new Counter({
    name: 'switchboard_stream_continuations_total',
    help:
      'Streams interrupted (cut, stalled or failed) after content reached the client, by how it ended: rescued ' +
      '(another target continued the answer), failed (every continuation tried failed; the client got the ' +
      'original error), unavailable (no target able to continue was admitted, or the retries were spent), ' +
      'not-continuable (a tool call, a refusal or several choices), by logical model.',
    labelNames: ['result', 'model'] as const,
    registers: [this.registry],
  });
  readonly panicRouted = new Counter({
    name: 'switchboard_panic_routed_total',
    help: 'Attempts sent to the least-bad provider because breakers, cool-downs and rate limits left none available, by provider and logical model.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: 'switchboard_breaker_state',
    help: 'Circuit breaker state per provider: 1 for the current state, 0 for the others (open = traffic blocked).',
    labelNames: ['provider', 'state'] as const,
    registers: [this.registry],
  });
  readonly modelBreakerState = new Gauge({
    name: 'switchboard_model_breaker_state',
    help: 'Circuit breaker state per provider and logical model (faults of one model: 429s aside, its 5xx, a model not found, slow or cut answers): 1 for the current state, 0 for the others (open = traffic blocked).',
    labelNames: ['provider', 'model', 'state'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new BatchedCounter({
    name: 'switchboard_rate_limited_total',
    help: '429 answers from providers, each of which starts a cool-down of that provider.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly weight = new Gauge({
    name: 'switchboard_provider_weight',
    help: 'Current configured weight of each provider for each logical model.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });
  readonly tokens = new BatchedCounter({
    name: 'switchboard_tokens_total',
    help: 'Tokens reported by providers, by provider, logical model and direction (input or output).',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers: [this.registry],
  });
  readonly cost = new BatchedCounter({
    name: 'switchboard_cost_usd_total',
    help: 'Cost in USD from provider-reported tokens and the pool’s per-model prices.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });
  readonly configReloads = new Counter({
    name: 'switchboard_config_reloads_total',
    help: 'Attempts to load a new pool configuration, by result (applied or rejected).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  setBreakerState(provider: string, state: (typeof BREAKER_STATES)[number]): void {
    for (const s of BREAKER_STATES) this.breakerState.set({ provider, state: s }, s === state ? 1 : 0);
  }

  setModelBreakerState(provider: string, model: string, state: (typeof BREAKER_STATES)[number]): void {
    for (const s of BREAKER_STATES)
      this.modelBreakerState.set({ provider, model, state: s }, s === state ? 1 : 0);
  }

  /** Drops label sets of providers no longer in the pool so stale series do not linger. */
  forgetProvider(provider: string, models: readonly string[]): void {
    this.inFlight.remove({ provider });
    for (const state of BREAKER_STATES) this.breakerState.remove({ provider, state });
    for (const model of models) {
      this.weight.remove({ provider, model });
      for (const state of BREAKER_STATES) this.modelBreakerState.remove({ provider, model, state });
    }
  }
}
