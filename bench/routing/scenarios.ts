/**
 * The scenarios: each a pool (providers, weights, prices, limits, the objective the pool asks for) and the true
 * behaviour of its providers over a run of `durationMs`, with changes placed at fractions of the run so a quick
 * run and a full run see the same story. Latencies and prices are in the range of today's small chat models.
 */
import {
  ProviderPoolSpecSchema,
  type ProviderPoolSpec,
  type StrategyName,
} from '../../api/v1alpha1/providerpool.ts';
import type { Objective } from '../../operator/reweight/provider-score.ts';
import type { Price } from '../../sidecar/balancer/types.ts';
import { SimProvider, type ProviderPhase, type ProviderState } from './provider-model.ts';

export const SCENARIO_NAMES = [
  'steady',
  'brown-out',
  'outage',
  'rate-limit-storm',
  'price-change',
  'cheap-but-slow',
  'flaky',
  'shared-quota',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

interface ProviderSetup {
  readonly name: string;
  readonly weight: number;
  readonly state: ProviderState;
  readonly phases?: readonly ProviderPhase[];
  /** The pool's `limits.requestsPerMinute` for it, when the pool declares the account's limit. */
  readonly declaredRequestsPerMinute?: number;
}

export interface ScenarioSetup {
  readonly name: ScenarioName;
  /** What happens, for the report. */
  readonly story: string;
  readonly objective: Objective;
  readonly providers: readonly ProviderSetup[];
  /** Edits of the manifest during the run: from `at`, the pool declares these prices. */
  readonly priceEdits: readonly { readonly at: number; readonly prices: Readonly<Record<string, Price>> }[];
  /** Relative demand of sidecar i of n (1 for all: even demand). */
  readonly demand: (i: number, n: number) => number;
}

const price = (input: number, output: number): Price => ({
  inputPerMillionTokens: input,
  outputPerMillionTokens: output,
});

const base = (latencyMedianMs: number, p: Price, extra: Partial<ProviderState> = {}): ProviderState => ({
  latencyMedianMs,
  latencySigma: 0.35,
  errorRate: 0.002,
  down: false,
  price: p,
  requestsPerMinute: undefined,
  ...extra,
});

const even = () => 1;

/** Three comparable providers: alpha fastest and cheapest, gamma slowest. */
const trio = (alpha: Partial<ProviderState> = {}, alphaPhases: ProviderPhase[] = []): ProviderSetup[] => [
  { name: 'alpha', weight: 1, state: base(800, price(0.15, 0.6), alpha), phases: alphaPhases },
  { name: 'beta', weight: 1, state: base(950, price(0.2, 0.8)) },
  { name: 'gamma', weight: 1, state: base(1100, price(0.25, 1.0)) },
];

/**
 * @param totalRps the fleet's whole request rate, so limits can be set relative to demand
 */
export function scenario(name: ScenarioName, durationMs: number, totalRps: number): ScenarioSetup {
  const at = (fraction: number) => Math.round(durationMs * fraction);
  const window = (from: number, until: number, change: Partial<ProviderState>): ProviderPhase => ({
    from: at(from),
    until: at(until),
    change,
  });
  const perMinute = totalRps * 60;
  switch (name) {
    case 'steady':
      return {
        name,
        story: 'three healthy providers (median 800 / 950 / 1100 ms), nothing changes',
        objective: 'latency',
        providers: trio(),
        priceEdits: [],
        demand: even,
      };
    case 'brown-out':
      return {
        name,
        story: 'the fastest provider answers 5× slower from 30 % to 70 % of the run',
        objective: 'latency',
        providers: trio({}, [window(0.3, 0.7, { latencyMedianMs: 4_000 })]),
        priceEdits: [],
        demand: even,
      };
    case 'outage':
      return {
        name,
        story: 'the fastest provider refuses every connection from 30 % to 60 % of the run, then recovers',
        objective: 'latency',
        providers: trio({}, [window(0.3, 0.6, { down: true })]),
        priceEdits: [],
        demand: even,
      };
    case 'rate-limit-storm':
      return {
        name,
        story:
          'the fastest provider’s account limit drops from 3× to 0.1× the fleet’s demand from 30 % to 60 % of the run; its 429s say Retry-After: 5',
        objective: 'latency',
        providers: trio({ requestsPerMinute: perMinute * 3 }, [
          window(0.3, 0.6, { requestsPerMinute: perMinute * 0.1, retryAfterSeconds: 5 }),
        ]),
        priceEdits: [],
        demand: even,
      };
    case 'price-change': {
      const raised = price(0.6, 2.4);
      return {
        name,
        story:
          'a cost-objective pool; at half-time the cheapest provider (alpha) raises its price 4× and the manifest is edited at that moment',
        objective: 'cost',
        providers: trio({}, [window(0.5, 1.01, { price: raised })]),
        priceEdits: [{ at: at(0.5), prices: { alpha: raised } }],
        demand: even,
      };
    }
    case 'cheap-but-slow':
      return {
        name,
        story:
          'a cost-objective pool: "frugal" costs a tenth of "swift" but takes 3 s (median) instead of 0.7 s',
        objective: 'cost',
        providers: [
          { name: 'swift', weight: 1, state: base(700, price(0.5, 2.0)) },
          { name: 'frugal', weight: 1, state: base(3_000, price(0.05, 0.2), { latencySigma: 0.4 }) },
        ],
        priceEdits: [],
        demand: even,
      };
    case 'flaky':
      return {
        name,
        story: 'the fastest provider fails 10 % of its attempts (HTTP 500) throughout',
        objective: 'latency',
        providers: trio({ errorRate: 0.1 }),
        priceEdits: [],
        demand: even,
      };
    case 'shared-quota': {
      const limit = Math.round(perMinute * 0.5);
      return {
        name,
        story:
          'the fastest, cheapest provider allows half the fleet’s demand (requests per minute, declared in the pool); demand is skewed across sidecars (Zipf)',
        objective: 'latency',
        providers: [
          {
            name: 'alpha',
            weight: 1,
            state: base(800, price(0.15, 0.6), { requestsPerMinute: limit, retryAfterSeconds: 2 }),
            declaredRequestsPerMinute: limit,
          },
          { name: 'beta', weight: 1, state: base(1_100, price(0.25, 1.0)) },
        ],
        priceEdits: [],
        demand: (i) => 1 / (i + 1),
      };
    }
  }
}

export function simProviders(setup: ScenarioSetup): Map<string, SimProvider> {
  return new Map(setup.providers.map((p) => [p.name, new SimProvider(p.name, p.state, p.phases ?? [])]));
}

/** The manifest's spec at `t`: the scenario's providers, the strategy under test, prices as edited by then. */
export function poolSpec(setup: ScenarioSetup, strategy: StrategyName, t: number): ProviderPoolSpec {
  const prices = new Map<string, Price>();
  for (const p of setup.providers) prices.set(p.name, p.state.price);
  for (const edit of setup.priceEdits)
    if (t >= edit.at) for (const [n, p] of Object.entries(edit.prices)) prices.set(n, p);
  return ProviderPoolSpecSchema.parse({
    strategy: { type: strategy, adaptive: { objective: setup.objective } },
    timeouts: { totalMs: 30_000 },
    providers: setup.providers.map((p) => ({
      name: p.name,
      type: 'openai',
      baseURL: `http://${p.name}.sim.invalid/v1`,
      weight: p.weight,
      models: [{ name: 'chat', model: `${p.name}-model`, pricing: prices.get(p.name) }],
      ...(p.declaredRequestsPerMinute === undefined
        ? {}
        : { limits: { requestsPerMinute: p.declaredRequestsPerMinute } }),
    })),
  });
}
