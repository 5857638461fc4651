/**
 * From the fleet's merged view to what the pool's status says of each provider, and to what reweighting reads
 * (pure). States, in order of precedence:
 *   Draining    weight 0 in the spec
 *   Unhealthy   its breaker is open on every sidecar that reports it (traffic blocked but for probes)
 *   RateLimited a pool-wide cool-down of the whole provider is running, or of each of its models (cool-downs of
 *               single models are listed in rateLimitedModels: the provider's other models still serve)
 *   Degraded    its breaker is open on some sidecars
 *   Unknown     no attempt in the window: no evidence either way
 *   Degraded    DEGRADED_ERROR_RATE of its attempts failed
 *   Healthy     otherwise
 */
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import type { ProviderState, ProviderStatus } from '../../api/v1alpha1/providerpool-status.ts';
import type { Cooldown } from '../cooldown/pool-cooldowns.ts';
import { quantile } from '../../core/latency-histogram.ts';
import type { FleetAggregate, ProviderAggregate } from './fleet-aggregate.ts';
import type { ProviderWindow } from '../reweight/provider-score.ts';

export const DEGRADED_ERROR_RATE = 0.05;

function stateOf(weight: number, a: ProviderAggregate | undefined, rateLimited: boolean): ProviderState {
  if (weight <= 0) return 'Draining';
  if (a !== undefined && a.sidecarsReporting > 0 && a.breakersOpen === a.sidecarsReporting)
    return 'Unhealthy';
  if (rateLimited) return 'RateLimited';
  if (a !== undefined && a.breakersOpen > 0) return 'Degraded';
  if (a === undefined || a.attempts === 0) return 'Unknown'; // no evidence either way
  if (a.failures / a.attempts >= DEGRADED_ERROR_RATE) return 'Degraded';
  return 'Healthy';
}

/** Rounds to what a person reads in `kubectl describe` (and keeps status writes from churning on noise). */
const round = (x: number | undefined, digits: number): number | undefined =>
  x === undefined ? undefined : Number(x.toFixed(digits));

export function providerStatuses(
  spec: ProviderPoolSpec,
  fleet: FleetAggregate,
  effectiveWeights: ReadonlyMap<string, number>,
  cooldowns: readonly Cooldown[],
  now: number,
): ProviderStatus[] {
  return spec.providers.map((p) => {
    const a = fleet.providers.get(p.name);
    const running = cooldowns.filter(
      (c) => c.provider === p.name && c.reason === 'RateLimited' && c.until > now,
    );
    const models = [...new Set(running.flatMap((c) => (c.model === undefined ? [] : [c.model])))].sort();
    const rateLimited =
      running.some((c) => c.model === undefined) || p.models.every((m) => models.includes(m.name));
    const status: ProviderStatus = { name: p.name, state: stateOf(p.weight, a, rateLimited) };
    if (models.length > 0) status.rateLimitedModels = models;
    const weight = effectiveWeights.get(p.name);
    if (weight !== undefined) status.effectiveWeight = round(weight, 3);
    if (a === undefined || fleet.seconds === 0) return status;
    status.requestRate = round(a.attempts / fleet.seconds, 2);
    if (a.attempts > 0) {
      status.errorRate = round(a.failures / a.attempts, 3);
      status.rateLimitedRate = round(a.rateLimited / a.attempts, 3);
    }
    const p50 = round(quantile(a.latency, 0.5), 0);
    const p95 = round(quantile(a.latency, 0.95), 0);
    const ttft = round(quantile(a.timeToFirstToken, 0.5), 0);
    if (p50 !== undefined) status.latencyP50Ms = p50;
    if (p95 !== undefined) status.latencyP95Ms = p95;
    if (ttft !== undefined) status.timeToFirstTokenP50Ms = ttft;
    return status;
  });
}

/** What reweighting reads of each provider of the spec. */
export function providerWindows(
  spec: ProviderPoolSpec,
  fleet: FleetAggregate,
  statuses: readonly ProviderStatus[],
): ProviderWindow[] {
  return spec.providers.map((p) => {
    const a = fleet.providers.get(p.name);
    const tokens = (a?.inputTokens ?? 0) + (a?.outputTokens ?? 0);
    return {
      name: p.name,
      configuredWeight: p.weight,
      attempts: a?.attempts ?? 0,
      failures: a?.failures ?? 0,
      failureMs: a !== undefined && a.timedFailures > 0 ? a.failureMs / a.timedFailures : undefined,
      rateLimited: a?.rateLimited ?? 0,
      latency: a?.latency ?? [],
      pricePerMillionTokens:
        a !== undefined && tokens > 0 ? specPrice(p, a.inputTokens, a.outputTokens) : listPrice(p),
      down: statuses.find((s) => s.name === p.name)?.state === 'Unhealthy',
    };
  });
}

/** The pool's providers as the reweighting sees them before any traffic: no attempts, the spec's list prices. */
export function unmeasuredWindows(spec: ProviderPoolSpec): ProviderWindow[] {
  return spec.providers.map((p) => ({
    name: p.name,
    configuredWeight: p.weight,
    attempts: 0,
    failures: 0,
    rateLimited: 0,
    latency: [],
    pricePerMillionTokens: listPrice(p),
    down: false,
  }));
}

/**
 * The spec's prices now, blended as the window's traffic used input and output tokens (the mean over the
 * provider's priced models). Not the billed cost of the window: that was billed at the prices of its time, and a
 * price edited in the manifest would count only once its window had passed, pulling traffic back to a provider
 * that has just raised its price.
 */
function specPrice(
  p: ProviderPoolSpec['providers'][number],
  inputTokens: number,
  outputTokens: number,
): number | undefined {
  const priced = p.models.flatMap((m) => (m.pricing === undefined ? [] : [m.pricing]));
  if (priced.length === 0) return undefined;
  const mean = (f: (x: (typeof priced)[number]) => number) =>
    priced.reduce((s, x) => s + f(x), 0) / priced.length;
  const input = mean((x) => x.inputPerMillionTokens);
  const output = mean((x) => x.outputPerMillionTokens);
  return (inputTokens * input + outputTokens * output) / (inputTokens + outputTokens);
}

/** Before traffic tells the blended price, the mean of the spec's input and output prices over its models. */
function listPrice(p: ProviderPoolSpec['providers'][number]): number | undefined {
  const priced = p.models.flatMap((m) => (m.pricing === undefined ? [] : [m.pricing]));
  if (priced.length === 0) return undefined;
  const perModel = priced.map((x) => (x.inputPerMillionTokens + x.outputPerMillionTokens) / 2);
  return perModel.reduce((s, x) => s + x, 0) / perModel.length;
}
