import { describe, expect, it } from '@jest/globals';
import { testRuntime } from '../routing/test-runtime.ts';
import { createStrategy } from '../balancer/strategies/index.ts';
import { RetryBudget } from '../retry/retry-budget.ts';
import type { PoolRuntime } from '../routing/pool-runtime.ts';
import { planAttempt, type AttemptPlan } from './plan-attempt.ts';

const NOW = 1_000_000;

function runtimeOf(names: readonly string[]): PoolRuntime {
  return testRuntime({ providers: names.map((name) => ({ name })) }, NOW);
}

const describePlan = (plan: AttemptPlan): string =>
  plan.kind === 'send' ? `send to ${plan.selection.target.provider.name}` : plan.kind;

describe('planning an attempt', () => {
  it.each([
    { name: 'sends a first attempt to the strategy’s pick', attempt: 1, tried: [], expected: 'send to a' },
    { name: 'sends a retry to a provider not yet tried', attempt: 2, tried: ['a'], expected: 'send to b' },
    {
      name: 'stops once every attempt the pool allows was made (1 + retry.attempts)',
      attempt: 4,
      tried: ['a', 'b'],
      expected: 'attempts-used',
    },
    {
      name: 'still moves a request too long for its target on when every retry was used (that move is no retry)',
      attempt: 4,
      moveForLength: true,
      tried: ['a'],
      expected: 'send to b',
    },
    {
      name: 'stops a retry the retry budget cannot pay for',
      attempt: 2,
      tried: ['a'],
      budget: new RetryBudget({ ratio: 0, minRetriesPerSecond: 0 }),
      expected: 'retry-budget-exhausted',
    },
    {
      name: 'says none is available when every provider cools down, for a retry (no panic routing)',
      attempt: 2,
      tried: ['a'],
      coolAll: true,
      expected: 'none-available',
    },
    {
      name: 'routes a first attempt to the least-bad provider when every provider cools down (panic)',
      attempt: 1,
      tried: [],
      coolAll: true,
      expected: 'send to b',
    },
  ])('$name', ({ attempt, moveForLength, tried, budget, coolAll, expected }) => {
    const runtime = runtimeOf(['a', 'b']);
    if (coolAll) {
      runtime.providers.get('a')?.cooldown.coolDown(NOW + 9_000);
      runtime.providers.get('b')?.cooldown.coolDown(NOW + 2_000);
    }
    const plan = planAttempt({
      targets: runtime.models.get('chat') ?? [],
      strategy: createStrategy('round-robin'),
      retryBudget: budget ?? runtime.retryBudget,
      retries: runtime.pool.spec.retry.attempts,
      retriesMade: Math.max(0, attempt - 2),
      isRetry: attempt > 1 && moveForLength !== true,
      tried: new Set(tried),
      ctx: { now: NOW, rng: () => 0, tokens: { input: 10, output: 10 } },
    });
    expect(describePlan(plan)).toBe(expected);
  });
});
