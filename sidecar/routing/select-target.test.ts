import { describe, expect, it } from '@jest/globals';
import { seededRng } from '../core/clock.ts';
import { createStrategy } from '../balancer/strategies/index.ts';
import { parsePool } from '../config/load-pool.ts';
import { buildPoolRuntime, type PoolRuntime } from './pool-runtime.ts';
import { selectTarget } from './select-target.ts';

const NOW = 1_000_000;

function runtimeOf(providers: Record<string, unknown>[], breaker: Record<string, unknown> = {}): PoolRuntime {
  const pool = parsePool({
    apiVersion: 'switchboard.dev/v1alpha1',
    kind: 'ProviderPool',
    metadata: { name: 't' },
    spec: {
      breaker,
      providers: providers.map((p) => ({
        type: 'openai',
        baseURL: 'http://127.0.0.1:1/v1',
        models: [{ name: 'chat', model: 'm' }],
        ...p,
      })),
    },
  });
  return buildPoolRuntime(pool, undefined, {
    secrets: { env: {}, secretsDir: '/none' },
    rng: seededRng(1),
    now: NOW,
    onBreakerTransition: () => {},
  });
}

const ctx = { now: NOW, rng: seededRng(7), tokens: { input: 10, output: 10 } };
const wrr = () => createStrategy('weighted-round-robin');

describe('selecting a target', () => {
  it.each([
    {
      name: 'skips a provider cooling down after a 429',
      prepare: (r: PoolRuntime) => r.providers.get('a')?.cooldown.coolDown(NOW + 7_000),
      picked: 'b',
      skipped: 'a: rate limited (cooling down)',
    },
    {
      name: 'skips a provider at its in-flight limit',
      prepare: (r: PoolRuntime) => {
        const a = r.providers.get('a');
        if (a) a.inFlight = 2;
      },
      picked: 'b',
      skipped: 'a: at its in-flight limit',
    },
    {
      name: 'skips a provider whose breaker is open',
      prepare: (r: PoolRuntime) => {
        const breaker = r.providers.get('a')?.breaker;
        for (let i = 0; i < 2; i++) breaker?.tryAcquire(NOW)?.release('failure', NOW);
      },
      picked: 'b',
      skipped: 'a: circuit breaker open',
    },
  ])('$name', ({ prepare, picked, skipped }) => {
    const runtime = runtimeOf([{ name: 'a', weight: 1000, maxInFlight: 2 }, { name: 'b' }], {
      consecutiveFailures: 2,
    });
    prepare(runtime);
    const targets = runtime.models.get('chat') ?? [];
    const chosen = selectTarget(targets, wrr(), ctx, new Set());
    expect(chosen.target?.provider.name).toBe(picked);
    runtime.providers.get('b')?.cooldown.coolDown(NOW + 1_000);
    const none = selectTarget(targets, wrr(), ctx, new Set());
    expect(none.target).toBeUndefined();
    if (!none.target) expect(none.skipped).toEqual([skipped, 'b: rate limited (cooling down)']);
  });

  it('avoids a provider already tried while another can serve, and takes it again when none can', () => {
    const runtime = runtimeOf([{ name: 'a', weight: 1000 }, { name: 'b' }]);
    const targets = runtime.models.get('chat') ?? [];
    const strategy = wrr();
    const picks = Array.from(
      { length: 10 },
      () => selectTarget(targets, strategy, ctx, new Set(['a'])).target?.provider.name,
    );
    expect(new Set(picks)).toEqual(new Set(['b']));
    runtime.providers.get('b')?.cooldown.coolDown(NOW + 1_000);
    expect(selectTarget(targets, strategy, ctx, new Set(['a'])).target?.provider.name).toBe('a');
  });

  it('reports the earliest time a skipped provider can take traffic again', () => {
    const runtime = runtimeOf([{ name: 'a' }, { name: 'b' }]);
    runtime.providers.get('a')?.cooldown.coolDown(NOW + 9_000);
    runtime.providers.get('b')?.cooldown.coolDown(NOW + 4_000);
    const none = selectTarget(runtime.models.get('chat') ?? [], wrr(), ctx, new Set());
    expect(none.target).toBeUndefined();
    if (!none.target) expect(none.retryAt).toBe(NOW + 4_000);
  });

  it('passes over a half-open provider whose probe slot is taken and picks another', () => {
    const runtime = runtimeOf([{ name: 'a', weight: 1000 }, { name: 'b' }], {
      consecutiveFailures: 1,
      baseBackoffMs: 1_000,
    });
    const breaker = runtime.providers.get('a')?.breaker;
    breaker?.tryAcquire(NOW)?.release('failure', NOW);
    const later = { ...ctx, now: NOW + 2_000 };
    const probe = breaker?.tryAcquire(later.now); // the one probe is out
    expect(probe?.probe).toBe(true);
    const chosen = selectTarget(runtime.models.get('chat') ?? [], wrr(), later, new Set());
    expect(chosen.target?.provider.name).toBe('b');
  });

  it('never picks a drained (weight 0) provider', () => {
    const runtime = runtimeOf([{ name: 'a', weight: 0 }, { name: 'b' }]);
    const strategy = wrr();
    const picks = Array.from({ length: 20 }, () => {
      return selectTarget(runtime.models.get('chat') ?? [], strategy, ctx, new Set()).target?.provider.name;
    });
    expect(new Set(picks)).toEqual(new Set(['b']));
  });
});
