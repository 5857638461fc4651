import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { seededRng } from '../../../core/clock.ts';
import { STRATEGY_NAMES, type Candidate, type StrategyName } from '../types.ts';
import { createStrategy } from './index.ts';
import { candidate, pickContext, pickShares } from './test-candidates.ts';

const price = { inputPerMillionTokens: 1, outputPerMillionTokens: 2 };

/** A mix of loads, latencies, prices and health, with two drained targets whose numbers look best. */
const mixedPool: readonly Candidate[] = [
  candidate('drained-fast', {
    weight: 0,
    latencyMs: 1,
    price: { inputPerMillionTokens: 0, outputPerMillionTokens: 0 },
  }),
  candidate('a', { weight: 2, inFlight: 3, latencyMs: 300, price }),
  candidate('b', { weight: 0.5, inFlight: 0, latencyMs: undefined, errorRate: 0.3 }),
  candidate('c', { weight: 1, inFlight: 7, latencyMs: 120, errorRate: 0.9, probing: true, price }),
  candidate('drained-idle', { weight: 0, inFlight: 0 }),
  candidate('d', {
    weight: 1.5,
    inFlight: 1,
    latencyMs: 800,
    price: { inputPerMillionTokens: 3, outputPerMillionTokens: 9 },
  }),
];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const forbidden = (what: string) => () => {
  throw new Error(`strategies must not read ${what}`);
};

describe('every strategy', () => {
  beforeEach(() => {
    jest.spyOn(Math, 'random').mockImplementation(forbidden('Math.random (use ctx.rng)'));
    jest.spyOn(Date, 'now').mockImplementation(forbidden('Date.now (use ctx.now)'));
    jest.spyOn(performance, 'now').mockImplementation(forbidden('performance.now (use ctx.now)'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each(STRATEGY_NAMES)('%s is created by name and carries its name', (name) => {
    expect(createStrategy(name).name).toBe(name);
  });

  it.each(STRATEGY_NAMES)('%s returns nothing for an empty list', (name) => {
    expect(createStrategy(name).pick([], pickContext())).toBeUndefined();
  });

  it.each(STRATEGY_NAMES)('%s returns nothing when every weight is 0', (name) => {
    const drained = [candidate('a', { weight: 0, price }), candidate('b', { weight: 0, latencyMs: 5 })];
    expect(createStrategy(name).pick(drained, pickContext())).toBeUndefined();
  });

  it.each(STRATEGY_NAMES)('%s picks the one eligible target among drained ones', (name) => {
    const list = [
      candidate('a', { weight: 0, price }),
      candidate('only', { inFlight: 40, errorRate: 1 }),
      candidate('c', { weight: 0 }),
    ];
    expect(createStrategy(name).pick(list, pickContext())?.key).toBe('only');
  });

  it.each(STRATEGY_NAMES)(
    '%s never picks a weight-0 target, returns a member of the input and leaves the input untouched',
    (name) => {
      const strategy = createStrategy(name);
      const pool = deepFreeze(mixedPool.map((c) => ({ ...c })));
      const before = JSON.stringify(pool);
      const ctx = deepFreeze(pickContext({ rng: seededRng(4), now: 1_000 }));
      for (let i = 0; i < 2_000; i++) {
        const picked = strategy.pick(pool, ctx);
        expect(picked === undefined ? false : pool.includes(picked)).toBe(true);
        expect(picked?.weight).toBeGreaterThan(0);
      }
      expect(JSON.stringify(pool)).toBe(before);
    },
  );

  it.each(STRATEGY_NAMES)('%s gives every created instance its own state', (name) => {
    const list = [candidate('a', { price }), candidate('b', { price })];
    const first = createStrategy(name);
    const ctx = () => pickContext({ rng: seededRng(8) });
    first.pick(list, ctx());
    expect(createStrategy(name).pick(list, ctx())?.key).toBe(createStrategy(name).pick(list, ctx())?.key);
  });
});

describe('createStrategy', () => {
  it.each([
    {
      name: 'passes health options to health-aware',
      strategy: 'health-aware' as StrategyName,
      options: { minHealth: 0.25 },
      expected: 0.25 / 1.25,
    },
    {
      name: 'passes health and latency options to adaptive',
      strategy: 'adaptive' as StrategyName,
      options: { minHealth: 0.25, minLatencyFactor: 1 },
      expected: 0.25 / 1.25,
    },
    {
      name: 'passes the tie tolerance to cost-based',
      strategy: 'cost-based' as StrategyName,
      options: { tieTolerance: 1, maxErrorRate: 1 },
      expected: 0.5,
    },
  ])('$name', ({ strategy, options, expected }) => {
    const list = [
      candidate('a', { latencyMs: 10, price }),
      candidate('b', {
        errorRate: 1,
        latencyMs: 1_000,
        price: { inputPerMillionTokens: 1.5, outputPerMillionTokens: 3 },
      }),
    ];
    expect(pickShares(createStrategy(strategy, options), list, 1_000).b ?? 0).toBeCloseTo(expected, 2);
  });
});
