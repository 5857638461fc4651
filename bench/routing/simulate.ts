/**
 * One run of one (scenario, strategy): a fleet of sidecars (each with its own Poisson stream of requests) in front
 * of the scenario's simulated providers, in virtual time, and what the clients saw.
 *
 * - One of the product's seven strategies: every sidecar runs the product's decision code (product-sidecar.ts)
 *   and the real operator loop (sim-operator.ts) reweights, spreads cool-downs and splits quotas every 5 s.
 * - `naive-<strategy>`: every sidecar runs the textbook strategy in the textbook loop (direct-attempts.ts), with no
 *   breaker, cool-down, retry budget or operator.
 * - `oracle`: every attempt goes where the truth says is best (oracle.ts).
 */
import { seededRng } from '../../core/clock.ts';
import { STRATEGY_NAMES, type StrategyName } from '../../api/v1alpha1/providerpool.ts';
import { uniformInt, exponentialGapMs } from './distributions.ts';
import { runDirectAttempts } from './direct-attempts.ts';
import { NAIVE_STRATEGIES, type NaiveName } from './naive-strategies.ts';
import { oracleChoice } from './oracle.ts';
import { MODEL, ProductSidecar } from './product-sidecar.ts';
import { RunMetrics, type RunSummary } from './run-metrics.ts';
import { poolSpec, scenario, simProviders, type ScenarioName, type ScenarioSetup } from './scenarios.ts';
import { SimOperator } from './sim-operator.ts';
import { VirtualScheduler } from './virtual-scheduler.ts';
import type { Router, SimRequest, World } from './world.ts';

export const ROUTER_NAMES = [
  ...STRATEGY_NAMES,
  ...(Object.keys(NAIVE_STRATEGIES) as NaiveName[]),
  'oracle',
] as const;
export type RouterName = StrategyName | NaiveName | 'oracle';

export interface SimOptions {
  readonly durationMs: number;
  readonly sidecars: number;
  /** The whole fleet's requests per second. */
  readonly totalRps: number;
  readonly seed: number;
  /** Largest one-way delay of the sync channel (uniform from 10 ms). */
  readonly maxSyncDelayMs?: number;
}

/** Traffic starts once the first configuration has reached every sidecar. */
export const WARM_UP_MS = 2_000;
/** Time after the last arrival for attempts in flight to end. */
const DRAIN_MS = 120_000;

const isProductStrategy = (name: RouterName): name is StrategyName =>
  (STRATEGY_NAMES as readonly string[]).includes(name);

function naiveRouter(world: World, name: NaiveName): Router {
  const strategy = NAIVE_STRATEGIES[name]();
  return {
    handle(request) {
      const spec = world.specAt(request.receivedAt);
      const views = spec.providers.map((p) => ({
        name: p.name,
        weight: p.weight,
        price: p.models.find((m) => m.name === MODEL)?.pricing,
      }));
      runDirectAttempts(world, request, spec.retry.attempts, spec.timeouts.totalMs, {
        choose: (tried) =>
          strategy.pick(
            views.filter((v) => !tried.has(v.name)),
            world.rng,
          )?.name,
        started: (p) => strategy.started(p),
        ended: (e) => strategy.ended(e.provider, e.ok, e.latencyMs),
      });
    },
  };
}

function oracleRouter(world: World, setup: ScenarioSetup): Router {
  return {
    handle(request) {
      const spec = world.specAt(request.receivedAt);
      runDirectAttempts(world, request, spec.retry.attempts, spec.timeouts.totalMs, {
        choose: (tried, now) =>
          oracleChoice(world.providers.values(), setup.objective, now, request.tokens, tried),
      });
    },
  };
}

export interface SimResult extends RunSummary {
  readonly scenario: ScenarioName;
  readonly strategy: RouterName;
}

export function simulate(name: ScenarioName, router: RouterName, options: SimOptions): SimResult {
  const setup = scenario(name, options.durationMs, options.totalRps);
  const scheduler = new VirtualScheduler(0);
  const routingRng = seededRng(options.seed);
  const trafficRng = seededRng(options.seed ^ 0x9e3779b9);
  const metrics = new RunMetrics();
  const maxDelay = options.maxSyncDelayMs ?? 500;
  const product = isProductStrategy(router) ? router : undefined;
  const world: World = {
    scheduler,
    rng: routingRng,
    providers: simProviders(setup),
    specAt: (t) => poolSpec(setup, product ?? 'weighted-round-robin', t),
    metrics,
    syncDelayMs: () => 10 + routingRng() * (maxDelay - 10),
  };

  const routers: Router[] = [];
  let operator: SimOperator | undefined;
  if (isProductStrategy(router)) {
    operator = new SimOperator(scheduler, world.specAt(0));
    for (let i = 0; i < options.sidecars; i++) {
      const sidecar = new ProductSidecar(`sidecar-${i}`, world, operator.hub, {
        namespace: 'bench',
        name: 'chat',
      });
      sidecar.start();
      routers.push(sidecar);
    }
    for (const edit of setup.priceEdits) {
      const op = operator;
      scheduler.at(edit.at, () => op.update(world.specAt(edit.at)));
    }
  } else if (router === 'oracle') {
    for (let i = 0; i < options.sidecars; i++) routers.push(oracleRouter(world, setup));
  } else {
    for (let i = 0; i < options.sidecars; i++) routers.push(naiveRouter(world, router));
  }

  const shares = routers.map((_, i) => setup.demand(i, routers.length));
  const total = shares.reduce((a, b) => a + b, 0);
  const end = options.durationMs;
  routers.forEach((r, i) => {
    const rate = (options.totalRps * (shares[i] ?? 0)) / total;
    const arrive = () => {
      const now = scheduler.now;
      if (now >= end) return;
      const input = uniformInt(trafficRng, 200, 2_000);
      const request: SimRequest = {
        receivedAt: now,
        tokens: { input, output: uniformInt(trafficRng, 50, 600) },
        // What a sidecar knows before sending: the prompt's size, and max_tokens for the answer.
        estimate: { input, output: 600 },
      };
      r.handle(request);
      scheduler.setTimer(exponentialGapMs(trafficRng, rate), arrive);
    };
    scheduler.at(WARM_UP_MS + exponentialGapMs(trafficRng, rate), arrive);
  });

  scheduler.runUntil(end + DRAIN_MS);
  operator?.stop();
  return { scenario: name, strategy: router, ...metrics.summary() };
}
