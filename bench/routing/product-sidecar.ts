/**
 * One simulated sidecar running the product's own decision code in virtual time:
 *
 * - its configuration arrives as the operator's snapshots through the real sync hub (a `SnapshotSink` whose SSE
 *   text is parsed with the sidecar's SSE parser and validated with the sync protocol's schema), after a sync
 *   delay, and is applied as the runtime holder applies it (`buildPoolRuntime` + `applyFleetDirectives`);
 * - each request runs the request path's attempt loop: `planAttempt` (retry budget, tiers, breakers, cool-downs,
 *   quota shares, the strategy's pick, panic routing), an `AttemptLease` around the upstream call, the provider's
 *   answer judged by `judgeOutcome`, a 429 cooled down for as long as `Retry-After` says (`coolDownUntil`), rate-limit
 *   headers read by the provider's real adapter;
 * - outcomes feed the real `ReportCollector` through `reportObserver`; reports go to the hub every 5 s, and within
 *   20 ms of a local cool-down, of a target turning well slower than usual, or of one the fleet holds slow answering
 *   at its usual speed again (slowdown-signal.ts), as the fleet reporter sends them; the fleet's slowdowns, the
 *   probes it asks for and the recoveries come back in the snapshots.
 *
 * Only the transport is simulated: the answer comes from a `SimProvider` instead of a socket.
 */
import { SnapshotSchema, type Recovery, type Report } from '../../api/sync/sync-protocol.ts';
import { SseParser } from '../../core/sse/sse-parser.ts';
import { expectedCostUsd } from '../../sidecar/balancer/strategies/expected-cost.ts';
import { SnapshotSink } from '../../operator/sync/snapshot-sink.ts';
import type { PoolKey, SyncHub } from '../../operator/sync/sync-hub.ts';
import { judgeOutcome, type AttemptFacts } from '../../sidecar/proxy/judge-outcome.ts';
import { AttemptLease } from '../../sidecar/proxy/attempt-lease.ts';
import { planAttempt } from '../../sidecar/proxy/plan-attempt.ts';
import { coolDownUntil, retryDeadlineFromHeaders } from '../../sidecar/retry/cooldown.ts';
import { applyFleetDirectives } from '../../sidecar/routing/fleet-directives.ts';
import { buildPoolRuntime, type PoolRuntime } from '../../sidecar/routing/pool-runtime.ts';
import type { Target } from '../../sidecar/routing/target.ts';
import { documentOf } from '../../sidecar/source/operator-pool-source.ts';
import type { PoolDocument } from '../../sidecar/source/pool-source.ts';
import { targetFacts } from '../../sidecar/sync/fleet-reporter.ts';
import { ReportCollector } from '../../sidecar/sync/report-collector.ts';
import { reportObserver } from '../../sidecar/sync/report-observer.ts';
import {
  SLOWDOWN_SIGNAL,
  SlowdownWatch,
  slowdownsSeen,
  takeRecoveries,
} from '../../sidecar/sync/slowdown-signal.ts';
import type { OutcomeObserver } from '../../sidecar/proxy/outcome-observer.ts';
import type { Router, SimRequest, World } from './world.ts';

export const MODEL = 'chat';
export const REPORT_INTERVAL_MS = 5_000;
/** The fleet reporter's delay before an urgent report (a cool-down started). */
export const URGENT_REPORT_DELAY_MS = 20;

export class ProductSidecar implements Router {
  readonly id: string;
  readonly #world: World;
  readonly #hub: SyncHub;
  readonly #key: PoolKey;
  readonly #collector: ReportCollector;
  readonly #observer: OutcomeObserver;
  #runtime: PoolRuntime | undefined;
  #version: string | undefined;
  #urgentPending = false;
  readonly #slowdownWatch = new SlowdownWatch();
  #recoveries: Recovery[] = [];

  constructor(id: string, world: World, hub: SyncHub, key: PoolKey) {
    this.id = id;
    this.#world = world;
    this.#hub = hub;
    this.#key = key;
    this.#collector = new ReportCollector(id, world.scheduler.now);
    this.#observer = reportObserver(this.#collector);
  }

  get runtime(): PoolRuntime | undefined {
    return this.#runtime;
  }

  /** Opens the sync stream and starts reporting (the first report after a random part of the interval). */
  start(): void {
    const parser = new SseParser();
    const sink = new SnapshotSink({
      write: (chunk) => {
        for (const event of parser.feed(chunk)) {
          if (event.event !== 'snapshot') continue;
          this.#world.scheduler.setTimer(this.#world.syncDelayMs(), () => this.#onSnapshot(event.data));
        }
        return true;
      },
      once: () => undefined,
      end: () => undefined,
    });
    this.#hub.subscribe(this.#key, this.id, sink);
    const every = () => {
      this.#report();
      this.#world.scheduler.setTimer(REPORT_INTERVAL_MS, every);
    };
    this.#world.scheduler.setTimer(this.#world.rng() * REPORT_INTERVAL_MS, every);
    const watch = () => {
      const now = this.#world.scheduler.now;
      const recovered = takeRecoveries(this.#runtime, now);
      this.#recoveries.push(...recovered);
      if (this.#slowdownWatch.crossed(slowdownsSeen(this.#runtime, now)) || recovered.length > 0)
        this.#reportSoon();
      this.#world.scheduler.setTimer(SLOWDOWN_SIGNAL.watchMs, watch);
    };
    this.#world.scheduler.setTimer(this.#world.rng() * SLOWDOWN_SIGNAL.watchMs, watch);
  }

  #onSnapshot(data: string): void {
    const snapshot = SnapshotSchema.parse(JSON.parse(data));
    const isNew = snapshot.configVersion !== this.#version;
    this.apply(documentOf(snapshot));
    if (!isNew) return;
    const ack = { sidecar: this.id, configVersion: snapshot.configVersion, result: 'ACK' as const };
    this.#world.scheduler.setTimer(this.#world.syncDelayMs(), () => this.#hub.acknowledge(this.#key, ack));
  }

  /** As RuntimeHolder.apply, without the metrics. */
  apply(document: PoolDocument): void {
    const { scheduler, rng } = this.#world;
    const now = scheduler.now;
    const next = buildPoolRuntime(document.pool, this.#runtime, {
      secrets: { env: {}, secretsDir: '/nonexistent' },
      rng,
      now,
      onBreakerTransition: () => undefined,
      scheduler: scheduler.probeScheduler,
      clock: scheduler.clock,
      ...(document.fleet === undefined ? {} : { weights: document.fleet.weights }),
    });
    for (const [name, provider] of next.providers)
      provider.cooldown.onCoolDown = (until) => this.#coolDownStarted(name, until);
    applyFleetDirectives(next, document.fleet, now);
    this.#runtime = next;
    this.#version = document.version;
  }

  #coolDownStarted(provider: string, until: number): void {
    this.#collector.recordCooldown({ provider, until: Math.ceil(until), reason: 'RateLimited' });
    this.#reportSoon();
  }

  #reportSoon(): void {
    if (this.#urgentPending) return;
    this.#urgentPending = true;
    this.#world.scheduler.setTimer(URGENT_REPORT_DELAY_MS, () => {
      this.#urgentPending = false;
      this.#report();
    });
  }

  #report(): void {
    const now = this.#world.scheduler.now;
    const report: Report = {
      ...this.#collector.take(now, this.#version, targetFacts(this.#runtime, now)),
      slowdowns: slowdownsSeen(this.#runtime, now),
      ...(this.#recoveries.length > 0 && { recoveries: this.#recoveries }),
    };
    this.#recoveries = [];
    this.#world.scheduler.setTimer(this.#world.syncDelayMs(), () => this.#hub.report(this.#key, report));
  }

  handle(request: SimRequest): void {
    const { metrics } = this.#world;
    metrics.requested();
    const runtime = this.#runtime;
    const targets = runtime?.models.get(MODEL);
    if (runtime === undefined || targets === undefined) return; // no configuration yet: a 503
    const strategy = runtime.strategy(MODEL, runtime.defaultStrategy);
    runtime.retryBudget.recordRequest(this.#world.scheduler.now);
    const tried = new Set<string>();
    const attempt = (n: number): void => {
      const now = this.#world.scheduler.now;
      const plan = planAttempt({
        targets,
        strategy,
        retryBudget: runtime.retryBudget,
        retries: runtime.pool.spec.retry.attempts,
        retriesMade: Math.max(0, n - 2),
        isRetry: n > 1,
        tried,
        ctx: { now, rng: this.#world.rng, tokens: request.estimate },
      });
      if (plan.kind === 'attempts-used' || plan.kind === 'retry-budget-exhausted') return;
      const estimated = request.estimate.input + request.estimate.output;
      if (n === 1) for (const t of plan.selection.quotaRefused) this.#observer.quotaRefused?.(t, estimated);
      if (plan.kind === 'none-available') return;
      const { target, permit } = plan.selection;
      const lease = new AttemptLease(target, permit, this.#observer, now);
      this.#send(target, request, now, (ok, retryable, outcome) => {
        lease.end(outcome, this.#world.scheduler.now);
        if (ok) return;
        tried.add(target.provider.name);
        if (retryable) attempt(n + 1);
      });
    };
    attempt(1);
  }

  /** The upstream call, answered by the simulated provider after its latency (or the attempt's timeout). */
  #send(
    target: Target,
    request: SimRequest,
    sentAt: number,
    ended: (ok: boolean, retryable: boolean, outcome: Parameters<AttemptLease['end']>[0]) => void,
  ): void {
    const world = this.#world;
    const sim = world.providers.get(target.provider.name);
    if (sim === undefined) throw new Error(`no simulated provider ${target.provider.name}`);
    const answer = sim.answer(sentAt, world.rng, request.tokens);
    const timeoutMs = target.provider.timeouts.totalMs;
    const timedOut = answer.afterMs > timeoutMs;
    world.scheduler.setTimer(timedOut ? timeoutMs : answer.afterMs, () => {
      const now = world.scheduler.now;
      const provider = target.provider;
      let facts: AttemptFacts;
      if (timedOut) facts = { kind: 'transport', error: 'timeout' };
      else if (answer.kind === 'refused') facts = { kind: 'transport', error: 'connect' };
      else facts = { kind: 'answer', status: answer.kind === 'ok' ? 200 : answer.status };
      const judgement = judgeOutcome(facts);
      let rateLimited = false;
      if (!timedOut && answer.kind !== 'refused') {
        const header = (name: string) => answer.headers[name];
        provider.rateLimits.update(provider.adapter.readRateLimits(header, now), now);
        if (judgement.coolDown) {
          const asked = retryDeadlineFromHeaders(header, now);
          // Where the fault lives, as the request path does: a 429 sidelines the (provider, model) only.
          (judgement.scope === 'provider' ? provider.cooldown : target.health.cooldown).coolDown(
            coolDownUntil(now, asked, false, (this.#runtime?.pool.spec ?? world.specAt(now)).rateLimit),
          );
          rateLimited = true;
        }
      }
      const ok = answer.kind === 'ok' && !timedOut;
      const usage = ok
        ? { inputTokens: request.tokens.input, outputTokens: request.tokens.output }
        : undefined;
      ended(ok, judgement.retryable, {
        verdict: judgement.verdict,
        status: facts.kind === 'answer' ? facts.status : undefined,
        latencyMs: ok ? now - sentAt : undefined,
        ttftMs: undefined,
        usage,
        rateLimited,
        credentialsRefused: judgement.credentialsRefused,
        scope: judgement.scope,
      });
      if (ok) {
        const price = sim.stateAt(now).price;
        world.metrics.served(now - request.receivedAt, expectedCostUsd(price, request.tokens));
      }
    });
  }
}
