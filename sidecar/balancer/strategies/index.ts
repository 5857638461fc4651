import type { Strategy, StrategyName } from '../types.ts';
import { Adaptive, type AdaptiveOptions } from './adaptive.ts';
import { CostBased, type CostBasedOptions } from './cost-based.ts';
import { HealthAware } from './health-aware.ts';
import type { HealthOptions } from './health.ts';
import { LeastConnections } from './least-connections.ts';
import { ResponseTime, type ResponseTimeOptions } from './response-time.ts';
import { RoundRobin } from './round-robin.ts';
import { WeightedRoundRobin } from './weighted-round-robin.ts';

export type { AdaptiveOptions, CostBasedOptions, HealthOptions, ResponseTimeOptions };

type NoOptions = Readonly<Record<string, never>>;

export interface StrategyOptionsByName {
  'round-robin': NoOptions;
  'weighted-round-robin': NoOptions;
  'least-connections': NoOptions;
  'response-time': ResponseTimeOptions;
  'cost-based': CostBasedOptions;
  'health-aware': HealthOptions;
  adaptive: AdaptiveOptions;
}

const factories: { readonly [N in StrategyName]: (options?: StrategyOptionsByName[N]) => Strategy } = {
  'round-robin': () => new RoundRobin(),
  'weighted-round-robin': () => new WeightedRoundRobin(),
  'least-connections': () => new LeastConnections(),
  'response-time': (options) => new ResponseTime(options),
  'cost-based': (options) => new CostBased(options),
  'health-aware': (options) => new HealthAware(options),
  adaptive: (options) => new Adaptive(options),
};

/**
 * A new instance of the named strategy. Strategies keep state (a cursor, smooth-WRR credit), so keep one
 * instance per pool/model and strategy and reuse it across picks and reloads.
 */
export function createStrategy<N extends StrategyName>(
  name: N,
  options?: StrategyOptionsByName[N],
): Strategy {
  return factories[name](options);
}
