/**
 * The request path after parsing: resolve the logical model, pick a target by the strategy, attempt, and on a
 * retryable failure try another target while the retry budget allows and nothing has reached the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Rng } from '../../core/clock.ts';
import {
  InvalidRequestError,
  ModelNotFoundError,
  NoProviderAvailableError,
  type SwitchboardError,
} from '../core/errors.ts';
import { echoInput } from '../core/echo.ts';
import type { Logger } from '../../core/log.ts';
import { STRATEGY_NAMES, type StrategyName } from '../balancer/types.ts';
import { statusClass, type SidecarMetrics } from '../metrics/metrics.ts';
import type { Operation, ProviderAdapter } from '../providers/adapter.ts';
import type { PoolRuntime } from '../routing/pool-runtime.ts';
import type { NoneAvailable, Selected } from '../routing/select-target.ts';
import type { Target } from '../routing/target.ts';
import type { ClientApi } from '../api/client-api.ts';
import { metricsObserver } from '../metrics/metrics-observer.ts';
import { sendError } from './client-response.ts';
import { ClientSink } from './client-sink.ts';
import { observeAll, type OutcomeObserver } from './outcome-observer.ts';
import { planAttempt } from './plan-attempt.ts';
import { UpstreamAttempt, type AttemptInput } from './upstream-attempt.ts';

export const STRATEGY_HEADER = 'x-switchboard-strategy';
export const PROVIDER_HEADER = 'x-switchboard-provider';
export const ATTEMPTS_HEADER = 'x-switchboard-attempts';

export interface ForwardDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly metrics: SidecarMetrics;
  /** Observers of every attempt's outcome besides the metrics (e.g. fleet reports to the operator). */
  readonly observers?: readonly OutcomeObserver[];
}

export interface ForwardRequest {
  readonly operation: Operation;
  readonly model: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly stream: boolean;
  readonly clientWantsUsage: boolean;
  readonly tokens: { readonly input: number; readonly output: number };
  readonly receivedAt: number;
  readonly requestId: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly clientSignal: AbortSignal;
  readonly logger: Logger;
  readonly clientApi: ClientApi;
}

function isStrategyName(value: string): value is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(value);
}

/** The strategy for this request: the pool's, or the one the request asks for when the pool allows it. */
function chooseStrategy(runtime: PoolRuntime, requested: string | undefined): StrategyName {
  if (requested === undefined || requested === '') return runtime.defaultStrategy;
  if (!isStrategyName(requested)) {
    throw new InvalidRequestError(
      `Unknown strategy "${echoInput(requested)}" in header ${STRATEGY_HEADER}; use one of: ${STRATEGY_NAMES.join(', ')}.`,
    );
  }
  const allowed = runtime.pool.spec.strategy.allowOverride;
  if (allowed !== undefined && !allowed.includes(requested) && requested !== runtime.defaultStrategy) {
    throw new InvalidRequestError(
      `This pool does not allow strategy "${requested}" per request; allowed: ${allowed.join(', ') || '(none)'}.`,
    );
  }
  return requested;
}

function resolveTargets(
  runtime: PoolRuntime,
  model: string,
  operation: Operation,
  body: Readonly<Record<string, unknown>>,
): readonly Target[] {
  const targets = runtime.models.get(model);
  if (!targets) throw new ModelNotFoundError(model, [...runtime.models.keys()]);
  const reasons: string[] = [];
  // The answer depends on the dialect, not the target: ask each adapter once, however many targets share it.
  const verdicts = new Map<ProviderAdapter, string | undefined>();
  const able = targets.filter((t) => {
    const adapter = t.provider.adapter;
    if (!verdicts.has(adapter)) {
      verdicts.set(
        adapter,
        adapter.operations.has(operation)
          ? adapter.unsupported(operation, body)
          : `${operation} is not available in the ${adapter.dialect} dialect`,
      );
    }
    const reason = verdicts.get(adapter);
    if (reason !== undefined) reasons.push(`${t.provider.name}: ${reason}`);
    return reason === undefined;
  });
  if (able.length === 0) {
    throw new InvalidRequestError(
      `No provider of model "${model}" can serve this request: ${reasons.join('; ')}.`,
      'model',
    );
  }
  return able;
}

function noProviderError(model: string, selection: NoneAvailable, now: number): NoProviderAvailableError {
  const retryAfter =
    selection.retryAt === undefined ? 1 : Math.max(1, Math.ceil((selection.retryAt - now) / 1000));
  return new NoProviderAvailableError(
    `No provider can take model "${model}" now: ${selection.skipped.join('; ')}.`,
    retryAfter,
  );
}

function attemptInput(
  runtime: PoolRuntime,
  request: ForwardRequest,
  { target, permit }: Selected,
  attempt: number,
  observer: OutcomeObserver,
): AttemptInput {
  return {
    operation: request.operation,
    body: request.body,
    stream: request.stream,
    clientWantsUsage: request.clientWantsUsage,
    target,
    permit,
    attempt,
    receivedAt: request.receivedAt,
    rateLimit: runtime.pool.spec.rateLimit,
    clientSignal: request.clientSignal,
    sink: new ClientSink(request.res, request.clientApi, {
      'x-request-id': request.requestId,
      [PROVIDER_HEADER]: target.provider.name,
      [ATTEMPTS_HEADER]: String(attempt),
    }),
    observer,
    redactor: runtime.redactor,
  };
}

export async function forward(
  runtime: PoolRuntime,
  request: ForwardRequest,
  deps: ForwardDeps,
): Promise<void> {
  const { clock, rng, metrics } = deps;
  const { res, logger: log } = request;
  const observer: OutcomeObserver = deps.observers?.length
    ? observeAll([metricsObserver(metrics), ...deps.observers])
    : metricsObserver(metrics);
  let servedBy = 'none';
  let status = 200;
  try {
    const targets = resolveTargets(runtime, request.model, request.operation, request.body);
    const header = request.req.headers[STRATEGY_HEADER];
    const strategyName = chooseStrategy(runtime, Array.isArray(header) ? header[0] : header);
    const strategy = runtime.strategy(request.model, strategyName);
    runtime.retryBudget.recordRequest(clock.now());

    const tried = new Set<string>();
    let firstProvider: string | undefined;
    let lastError: SwitchboardError | undefined;
    let attempts = 0;
    let lastTried: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const now = clock.now();
      const ctx = { now, rng, tokens: request.tokens };
      // The best tier first, other providers before one already tried; for a first attempt with nothing available,
      // the least-bad provider (panic routing, routing/least-bad.ts).
      const plan = planAttempt({
        targets,
        strategy,
        retryBudget: runtime.retryBudget,
        retries: runtime.pool.spec.retry.attempts,
        attempt,
        tried,
        ctx,
      });
      if (plan.kind === 'attempts-used') break;
      if (plan.kind === 'retry-budget-exhausted') {
        metrics.retryBudgetExhausted.inc();
        log.warn('retry budget exhausted; not retrying');
        break;
      }
      // Counted once per request: a retry skipping the same provider again wants it no more.
      const estimated = request.tokens.input + request.tokens.output;
      if (attempt === 1) for (const t of plan.selection.quotaRefused) observer.quotaRefused?.(t, estimated);
      if (plan.kind === 'none-available') {
        lastError ??= noProviderError(request.model, plan.selection, now);
        break;
      }
      const selection = plan.selection;
      const { target } = selection;
      if (selection.panic) {
        metrics.panicRouted.inc({ provider: target.provider.name, model: target.logicalModel });
        log.warn('no provider available: routing to the least-bad one', { provider: target.provider.name });
      }
      attempts = attempt;
      firstProvider ??= target.provider.name;
      if (attempt > 1)
        metrics.retries.inc({ provider: lastTried ?? 'none', reason: lastError?.code ?? 'unknown' });
      const result = await new UpstreamAttempt(attemptInput(runtime, request, selection, attempt, observer), {
        clock,
        logger: log,
      }).run();

      if (result.kind === 'served') {
        servedBy = target.provider.name;
        if (firstProvider !== servedBy)
          metrics.fallbacks.inc({ from_provider: firstProvider, to_provider: servedBy });
        log.info('request served', { provider: servedBy, attempts: attempt, model: request.model });
        return;
      }
      if (result.kind === 'client-gone') {
        status = 499; // nginx's "client closed request", for metrics and logs only
        log.info('client went away; upstream call aborted', { provider: target.provider.name });
        return;
      }
      if (result.kind === 'committed-failure') {
        status = 502;
        servedBy = target.provider.name;
        return;
      }
      lastTried = target.provider.name;
      tried.add(lastTried);
      lastError = result.error;
      if (!result.retryable) break;
    }
    // A failed answer still says who was tried last and how often, as a served one does.
    status = sendError(res, request.clientApi, lastError, {
      'x-request-id': request.requestId,
      [ATTEMPTS_HEADER]: String(attempts),
      ...(lastTried === undefined ? {} : { [PROVIDER_HEADER]: lastTried }),
    });
    log.warn('request failed', { status, code: lastError?.code ?? null, attempts });
  } catch (err) {
    status = sendError(res, request.clientApi, err, { 'x-request-id': request.requestId });
    if (status >= 500)
      log.error('request failed unexpectedly', {
        error: runtime.redactor.redact(err instanceof Error ? err.message : String(err)),
      });
  } finally {
    // Unknown model names come from clients: never let them mint new label values.
    const labels = {
      provider: servedBy,
      model: runtime.models.has(request.model) ? request.model : 'unknown',
    };
    metrics.requests.inc({ ...labels, status_class: statusClass(status) });
    if (servedBy !== 'none') metrics.duration.observe(labels, (clock.now() - request.receivedAt) / 1000);
  }
}
