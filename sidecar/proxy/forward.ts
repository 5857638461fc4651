/**
 * The request path after parsing: resolve the logical model, keep the targets whose context window can hold the
 * request (else the first fallback model's that can), pick a target by the strategy, attempt, and on a retryable
 * failure try another target while the retry budget allows and nothing has reached the client. A provider's
 * context-length error moves the request to a target with a larger window (or a fallback model) without counting as
 * a retry: it says nothing against the provider and nothing about an outage. A stream interrupted after content
 * reached the client is continued by a target that can continue an assistant message (continuation/), under the
 * same retry budget, attempts and admission as any retry.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Rng } from '../../core/clock.ts';
import {
  ContextLengthExceededError,
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
import {
  largestWindow,
  routeFor,
  tokensNeeded,
  TooLong,
  type ContextNeed,
} from '../routing/context-window.ts';
import type { NoneAvailable, Selected } from '../routing/select-target.ts';
import type { Target } from '../routing/target.ts';
import type { ClientApi } from '../api/client-api.ts';
import { metricsObserver } from '../metrics/metrics-observer.ts';
import { sendError } from './client-response.ts';
import { ClientSink } from './client-sink.ts';
import type { TokenUsage } from '../providers/adapter.ts';
import { continuationRequest } from './continuation/continuation-request.ts';
import { ContinuationRelay } from './continuation/continuation-relay.ts';
import { ContinuationSink } from './continuation/continuation-sink.ts';
import { readPartialAnswer, type PartialAnswer } from './continuation/partial-answer.ts';
import { observeAll, type OutcomeObserver } from './outcome-observer.ts';
import type { ClientPresence } from './client-presence.ts';
import { quotaSettlement } from '../quota/quota-settlement.ts';
import { planAttempt } from './plan-attempt.ts';
import { UpstreamAttempt, type AttemptInput, type AttemptResult } from './upstream-attempt.ts';

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
  /** What the request needs of a context window; undefined for operations not checked (embeddings). */
  readonly context?: ContextNeed;
  readonly receivedAt: number;
  readonly requestId: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Whether the client is still there. */
  readonly client: ClientPresence;
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

/** The targets of `model` whose dialect can serve the operation and request, with why the others cannot. */
function ableTargets(
  runtime: PoolRuntime,
  model: string,
  operation: Operation,
  body: Readonly<Record<string, unknown>>,
): { able: readonly Target[]; reasons: readonly string[] } {
  const targets = runtime.models.get(model) ?? [];
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
  return { able, reasons };
}

function resolveTargets(
  runtime: PoolRuntime,
  model: string,
  operation: Operation,
  body: Readonly<Record<string, unknown>>,
): readonly Target[] {
  if (!runtime.models.has(model)) throw new ModelNotFoundError(model, [...runtime.models.keys()]);
  const { able, reasons } = ableTargets(runtime, model, operation, body);
  if (able.length === 0) {
    throw new InvalidRequestError(
      `No provider of model "${model}" can serve this request: ${reasons.join('; ')}.`,
      'model',
    );
  }
  return able;
}

/** Refused before any provider is called: no target of the model or its fallbacks declares a window that holds it. */
function tooLongForAll(request: ForwardRequest, targets: readonly Target[]): ContextLengthExceededError {
  const need = request.context;
  const first = targets[0];
  const needed = need && first ? tokensNeeded(need, first) : 0;
  const largest = largestWindow(targets) ?? 0;
  return new ContextLengthExceededError(
    `The request needs at least ${needed} tokens (estimated prompt ${need?.promptTokens ?? 0}` +
      `${need?.outputTokens === undefined ? '' : ` + max_tokens ${need.outputTokens}`}), more than the largest ` +
      `context window (${largest} tokens) among the providers of model "${request.model}" and its fallbacks.`,
  );
}

function noProviderError(model: string, selection: NoneAvailable, now: number): NoProviderAvailableError {
  const retryAfter =
    selection.retryAt === undefined ? 1 : Math.max(1, Math.ceil((selection.retryAt - now) / 1000));
  return new NoProviderAvailableError(
    `No provider can take model "${model}" now: ${selection.skipped.join('; ')}.`,
    retryAfter,
  );
}

/** A stream interrupted after content reached the client, waiting for a target to continue it. */
interface Interruption {
  /** What the client gets if no continuation succeeds: the first interruption's error, never a later one. */
  readonly error: SwitchboardError;
  /** The client's open stream. */
  readonly client: ClientSink;
  readonly answer: PartialAnswer;
  /** Tokens of the interrupted attempts so far, added to the continuation's usage. */
  readonly earlier: TokenUsage;
  readonly provider: string;
  /** Continuations tried (for the metric's result). */
  tried: number;
}

function addUsage(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  return a === undefined
    ? b
    : { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

/** Streamed chat with one choice, and some target of the model able to continue it: worth recording what is sent. */
function mayContinue(
  request: ForwardRequest,
  chain: readonly string[],
  targetsOf: (model: string) => readonly Target[],
): boolean {
  const n = request.body.n;
  // The cheap request checks first: most requests never need the targets of every fallback model.
  return (
    request.stream &&
    request.operation === 'chat' &&
    (n === undefined || n === null || n === 1) &&
    chain.some((model) => targetsOf(model).some(canContinue))
  );
}

const NOTHING_TRIED: ReadonlySet<string> = new Set();

/** Whether a target can continue an interrupted answer (its provider's continuation capability). */
const canContinue = (t: Target): boolean => t.provider.continuation !== 'none';

/**
 * The interruption an attempt's `result` leaves the answer in, after `previous` ones: what the client has, the
 * tokens spent so far and the error to end with; or why it cannot be continued (a tool call, say).
 */
function interrupted(
  previous: Interruption | undefined,
  client: ClientSink,
  result: Extract<AttemptResult, { kind: 'interrupted' }>,
  provider: string,
): Interruption | { readonly notContinuable: string } {
  const reading = readPartialAnswer(client.sent);
  if (reading.kind === 'not-continuable') return { notContinuable: reading.reason };
  return {
    error: previous?.error ?? result.error,
    client,
    answer: reading.answer,
    earlier: addUsage(previous?.earlier, result.usage),
    provider: previous?.provider ?? provider,
    tried: previous?.tried ?? 0,
  };
}

function attemptInput(
  runtime: PoolRuntime,
  request: ForwardRequest,
  { target, permit }: Selected,
  attempt: number,
  observer: OutcomeObserver,
  sink: ClientSink,
  recordSent: boolean,
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
    client: request.client,
    sink,
    observer,
    redactor: runtime.redactor,
    ...(recordSent && { mayContinue: { inputTokens: request.tokens.input } }),
  };
}

/** The client's side of an attempt that starts the answer (recording what it sends, when it may be continued). */
function clientSink(
  request: ForwardRequest,
  target: Target,
  attempt: number,
  recordSent: boolean,
): ClientSink {
  const headers = {
    'x-request-id': request.requestId,
    [PROVIDER_HEADER]: target.provider.name,
    [ATTEMPTS_HEADER]: String(attempt),
  };
  return new ClientSink(request.res, request.clientApi, headers, { recordSent });
}

/** The attempt that continues `interruption`'s answer on `selected` (a target whose continuation is not none). */
function continuationInput(
  runtime: PoolRuntime,
  request: ForwardRequest,
  selected: Selected,
  attempt: number,
  observer: OutcomeObserver,
  interruption: Interruption,
): AttemptInput {
  const mode = selected.target.provider.continuation;
  if (mode === 'none') throw new TypeError('continuation asked of a target that cannot continue');
  const { text, identity } = interruption.answer;
  const { body, withheld } = continuationRequest(request.body, text, mode);
  const relay = new ContinuationRelay({ identity, earlier: interruption.earlier, withheld });
  return {
    ...attemptInput(runtime, request, selected, attempt, observer, interruption.client, false),
    body,
    sink: new ContinuationSink(interruption.client, relay),
    mayContinue: { inputTokens: request.tokens.input + Math.ceil(text.length / 4) },
    continuing: true,
  };
}

export async function forward(
  runtime: PoolRuntime,
  request: ForwardRequest,
  deps: ForwardDeps,
): Promise<void> {
  const { clock, rng, metrics } = deps;
  const { res, logger: log } = request;
  // Every attempt took the request's token estimate from its provider's quota: settled against the real usage.
  const observer: OutcomeObserver = observeAll([
    metricsObserver(metrics),
    quotaSettlement(clock, request.tokens.input + request.tokens.output),
    ...(deps.observers ?? []),
  ]);
  let servedBy = 'none';
  let status = 200;
  try {
    // 404 / 400 when the model is unknown or none of its providers can serve the request at all.
    const own = resolveTargets(runtime, request.model, request.operation, request.body);
    const header = request.req.headers[STRATEGY_HEADER];
    const strategyName = chooseStrategy(runtime, Array.isArray(header) ? header[0] : header);
    runtime.retryBudget.recordRequest(clock.now());

    // The models that may serve the request (its own, then its fallbacks) and their targets that can hold it.
    const chain = runtime.modelChain(request.model);
    // Made when first needed, like `tried` and `declined` below: most requests never look past their own model.
    let ableOfFallbacks: Map<string, readonly Target[]> | undefined;
    const targetsOf = (model: string): readonly Target[] => {
      if (model === request.model) return own;
      let list = ableOfFallbacks?.get(model);
      if (!list) {
        list = ableTargets(runtime, model, request.operation, request.body).able;
        (ableOfFallbacks ??= new Map()).set(model, list);
      }
      return list;
    };
    const tooLong = new TooLong();
    let route = routeFor(chain, targetsOf, request.context, tooLong);
    if (!route) throw tooLongForAll(request, chain.flatMap(targetsOf));

    let tried: Set<string> | undefined;
    const recordSent = mayContinue(request, chain, targetsOf);
    let interruption: Interruption | undefined;
    /** Targets whose continuation failed (a 400 refusing the prefill, say): not asked again for this answer. */
    let declined: Set<Target> | undefined;
    let firstProvider: string | undefined;
    let lastError: SwitchboardError | undefined;
    let attempts = 0;
    let lastTried: string | undefined;
    /** The previous attempt failed only because the request is too long for its target: the next is no retry. */
    let movedForLength = false;
    let retriesMade = 0;
    /** Why the last attempt failed, for the retries metric. */
    let lastCode: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const now = clock.now();
      const ctx = { now, rng, tokens: request.tokens };
      const isRetry = attempt > 1 && !movedForLength;
      // The best tier first, other providers before one already tried; for a first attempt with nothing available,
      // the least-bad provider (panic routing, routing/least-bad.ts). A continuation goes to a target that can
      // continue the answer.
      const plan = planAttempt({
        targets: interruption
          ? route.targets.filter((t) => canContinue(t) && declined?.has(t) !== true)
          : route.targets,
        strategy: runtime.strategy(route.model, strategyName),
        retryBudget: runtime.retryBudget,
        retries: runtime.pool.spec.retry.attempts,
        retriesMade,
        isRetry,
        tried: tried ?? NOTHING_TRIED,
        ctx,
      });
      if (plan.kind === 'attempts-used') break;
      if (plan.kind === 'retry-budget-exhausted') {
        metrics.retryBudgetExhausted.inc();
        log.warn('retry budget exhausted; not retrying');
        break;
      }
      if (isRetry) retriesMade++;
      // Counted once per request: a retry skipping the same provider again wants it no more.
      const estimated = request.tokens.input + request.tokens.output;
      if (attempt === 1) for (const t of plan.selection.quotaRefused) observer.quotaRefused?.(t, estimated);
      if (plan.kind === 'none-available') {
        if (!interruption) lastError ??= noProviderError(route.model, plan.selection, now);
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
      if (attempt > 1) metrics.retries.inc({ provider: lastTried ?? 'none', reason: lastCode ?? 'unknown' });
      const sink = interruption?.client ?? clientSink(request, target, attempt, recordSent);
      const input = interruption
        ? continuationInput(runtime, request, selection, attempt, observer, interruption)
        : attemptInput(runtime, request, selection, attempt, observer, sink, recordSent);
      if (interruption) interruption.tried += 1;
      const result = await new UpstreamAttempt(input, { clock, logger: log }).run();

      if (result.kind === 'served') {
        servedBy = target.provider.name;
        if (firstProvider !== servedBy)
          metrics.fallbacks.inc({ from_provider: firstProvider, to_provider: servedBy });
        if (interruption) {
          metrics.streamContinuations.inc({ result: 'rescued', model: request.model });
          log.info('interrupted stream continued', {
            provider: servedBy,
            interrupted: interruption.provider,
            attempts: attempt,
          });
        }
        log.info('request served', { provider: servedBy, attempts: attempt, model: target.logicalModel });
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
        if (interruption) metrics.streamContinuations.inc({ result: 'failed', model: request.model });
        return;
      }
      lastTried = target.provider.name;
      lastCode = result.error.code;
      movedForLength = false;
      if (result.kind === 'interrupted') {
        (tried ??= new Set()).add(lastTried);
        const next = interrupted(interruption, sink, result, target.provider.name);
        if ('notContinuable' in next) {
          sink.fail(interruption?.error ?? result.error);
          status = 502;
          servedBy = target.provider.name;
          metrics.streamContinuations.inc({ result: 'not-continuable', model: request.model });
          log.warn('interrupted stream cannot be continued', { reason: next.notContinuable });
          return;
        }
        interruption = next;
        log.warn('stream interrupted after content reached the client; continuing on another target', {
          provider: target.provider.name,
          code: result.error.code,
          sentChars: next.answer.text.length,
        });
        continue;
      }
      // A continuation's failure is recorded (by its lease) and never shown: the next capable target may try.
      if (interruption) {
        (tried ??= new Set()).add(lastTried);
        (declined ??= new Set()).add(target);
        continue;
      }
      lastError = result.error;
      movedForLength = result.contextTooLong === true;
      if (movedForLength) {
        // Not the provider's fault: a target with a larger window, or a fallback model, may hold the request.
        tooLong.add(target);
        const next = routeFor(chain, targetsOf, request.context, tooLong);
        if (!next) {
          lastError = new ContextLengthExceededError(
            `The request is too long for every provider of model "${request.model}"` +
              `${chain.length > 1 ? ` and its fallbacks (${chain.slice(1).join(', ')})` : ''}; the last said: ` +
              result.error.message,
          );
          break;
        }
        if (next.model !== route.model)
          log.info('request too long for its model: moving to a fallback model', {
            from: route.model,
            to: next.model,
          });
        route = next;
        continue;
      }
      (tried ??= new Set()).add(lastTried);
      if (!result.retryable) break;
    }
    if (interruption) {
      // No continuation: the client's stream ends with the error that interrupted it, as without continuation.
      interruption.client.fail(interruption.error);
      status = 502;
      servedBy = interruption.provider;
      const result = interruption.tried > 0 ? 'failed' : 'unavailable';
      metrics.streamContinuations.inc({ result, model: request.model });
      log.warn('interrupted stream could not be continued', {
        code: interruption.error.code,
        continuations: interruption.tried,
      });
      return;
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
