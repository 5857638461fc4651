import { describe, expect, it } from '@jest/globals';
import { testRuntime } from './test-runtime.ts';
import { seededRng } from '../../core/clock.ts';
import { createStrategy } from '../balancer/strategies/index.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import { selectOrPanic, selectTarget } from './select-target.ts';
import { QuotaBudget } from '../quota/quota-budget.ts';
import type { Candidate } from '../balancer/types.ts';

const NOW = 1_000_000;

function runtimeOf(providers: Record<string, unknown>[], breaker: Record<string, unknown> = {}): PoolRuntime {
  return testRuntime({ breaker, providers }, NOW);
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
    {
      name: 'skips a provider’s model cooling down after its 429',
      prepare: (r: PoolRuntime) =>
        r.providers
          .get('a')
          ?.targets.get('chat')
          ?.cooldown.coolDown(NOW + 7_000),
      picked: 'b',
      skipped: 'a/chat: model chat rate limited (cooling down)',
    },
    {
      name: 'skips a provider’s model whose own breaker is open',
      prepare: (r: PoolRuntime) => {
        const breaker = r.providers.get('a')?.targets.get('chat')?.breaker;
        for (let i = 0; i < 2; i++) breaker?.tryAcquire(NOW)?.release('failure', NOW);
      },
      picked: 'b',
      skipped: 'a/chat: model chat circuit breaker open',
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

  it.each([
    {
      name: 'a model’s cool-down leaves the provider’s other model in rotation',
      block: (r: PoolRuntime) =>
        r.providers
          .get('a')
          ?.targets.get('chat')
          ?.cooldown.coolDown(NOW + 5_000),
      picks: { chat: 'b', code: 'a' },
    },
    {
      name: 'the provider’s cool-down takes every model of it out',
      block: (r: PoolRuntime) => r.providers.get('a')?.cooldown.coolDown(NOW + 5_000),
      picks: { chat: 'b', code: 'b' },
    },
  ])('$name', ({ block, picks }) => {
    const models = [
      { name: 'chat', model: 'm' },
      { name: 'code', model: 'c' },
    ];
    const runtime = runtimeOf([
      { name: 'a', weight: 1000, models },
      { name: 'b', models },
    ]);
    block(runtime);
    const pick = (model: string) =>
      selectTarget(runtime.models.get(model) ?? [], wrr(), ctx, new Set()).target?.provider.name;
    expect({ chat: pick('chat'), code: pick('code') }).toEqual(picks);
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

/** Opens `name`'s breaker at `at` (consecutiveFailures: 1 in these pools). */
function openBreaker(runtime: PoolRuntime, name: string, at: number): void {
  runtime.providers.get(name)?.breaker.tryAcquire(at)?.release('failure', at);
}

describe('a provider whose quota share is used up', () => {
  const limited = () => {
    const runtime = runtimeOf([{ name: 'a', weight: 1000 }, { name: 'b' }]);
    runtime.providers.get('a')?.quota.setRates({ requestsPerMinute: 60 }, NOW); // one a second, a burst of 3
    return { runtime, targets: runtime.models.get('chat') ?? [] };
  };

  it('is routed around once its share is spent, with the reason, and the request counts as its demand', () => {
    const { targets } = limited();
    const picks = [1, 2, 3, 4].map(() => selectTarget(targets, wrr(), ctx, new Set()));
    expect(picks.map((p) => p.target?.provider.name)).toEqual(['a', 'a', 'a', 'b']);
    expect(picks[3]?.quotaRefused.map((t) => t.provider.name)).toEqual(['a']);
    expect(selectTarget(targets, wrr(), { ...ctx, now: NOW + 1_000 }, new Set()).target?.provider.name).toBe(
      'a',
    );
  });

  it('says so and when it refills when nothing else can serve, and panic routing never breaks the share', () => {
    const { runtime, targets } = limited();
    for (let i = 0; i < 3; i++) selectTarget(targets, wrr(), ctx, new Set());
    runtime.providers.get('b')?.cooldown.coolDown(NOW + 5_000);
    const none = selectTarget(targets, wrr(), ctx, new Set());
    expect(none).toMatchObject({
      target: undefined,
      skipped: ['a: request quota share used up', 'b: rate limited (cooling down)'],
      retryAt: NOW + 1_000,
    });
    expect(selectOrPanic(targets, wrr(), ctx, new Set())).toMatchObject({
      panic: true,
      target: { key: 'b/chat' },
    });
    const onlyA = targets.filter((t) => t.key === 'a/chat');
    expect(selectOrPanic(onlyA, wrr(), ctx, new Set()).target).toBeUndefined();
  });
});

describe('a model whose own quota share at a provider is used up', () => {
  it('is routed to another provider while the provider keeps serving its other models, and both budgets are drawn on', () => {
    const models = [
      { name: 'chat', model: 'm' },
      { name: 'other', model: 'o' },
    ];
    const runtime = runtimeOf([
      { name: 'a', weight: 1000, models },
      { name: 'b', models },
    ]);
    const a = runtime.providers.get('a');
    a?.modelQuotas.set('chat', new QuotaBudget({ requestsPerMinute: 60 }, NOW)); // one a second, a burst of 3
    a?.quota.setRates({ requestsPerMinute: 240 }, NOW); // a burst of 12
    const chat = runtime.models.get('chat') ?? [];
    const other = runtime.models.get('other') ?? [];
    const picks = [1, 2, 3, 4].map(() => selectTarget(chat, wrr(), ctx, new Set()));
    expect(picks.map((p) => p.target?.provider.name)).toEqual(['a', 'a', 'a', 'b']);
    expect(picks[3]?.quotaRefused.map((t) => t.key)).toEqual(['a/chat']);
    expect(selectTarget(other, wrr(), ctx, new Set()).target?.provider.name).toBe('a');
    // The provider's budget counted the model's three requests and the other model's one: 8 left of 12.
    const more = Array.from(
      { length: 9 },
      () => selectTarget(other, wrr(), ctx, new Set()).target?.provider.name,
    );
    expect(more.filter((name) => name === 'a')).toHaveLength(8);
    const blocked = selectTarget(chat.slice(0, 1), wrr(), ctx, new Set());
    expect(blocked).toMatchObject({ target: undefined });
  });

  it('says which model’s share is used up', () => {
    const runtime = runtimeOf([{ name: 'a' }]);
    runtime.providers.get('a')?.modelQuotas.set('chat', new QuotaBudget({ requestsPerMinute: 0 }, NOW));
    const targets = runtime.models.get('chat') ?? [];
    selectTarget(targets, wrr(), ctx, new Set());
    expect(selectTarget(targets, wrr(), ctx, new Set())).toMatchObject({
      skipped: ['a/chat: request quota share used up'],
    });
  });
});

describe('panic routing when every target is blocked', () => {
  const breaker = { consecutiveFailures: 1, baseBackoffMs: 10_000 };
  it.each([
    {
      name: 'routes to the provider whose breaker reopens soonest',
      providers: [{ name: 'a' }, { name: 'b' }],
      prepare: (r: PoolRuntime) => {
        openBreaker(r, 'a', NOW);
        openBreaker(r, 'b', NOW - 5_000);
      },
      picked: 'b',
    },
    {
      name: 'weighs a cool-down’s end against a breaker’s reopening alike',
      providers: [{ name: 'a' }, { name: 'b' }],
      prepare: (r: PoolRuntime) => {
        openBreaker(r, 'a', NOW); // until NOW + 10 s
        r.providers.get('b')?.cooldown.coolDown(NOW + 3_000);
      },
      picked: 'b',
    },
    {
      name: 'takes the later of a provider’s blocks: an ended cool-down does not hide an open breaker',
      providers: [{ name: 'a' }, { name: 'b' }],
      prepare: (r: PoolRuntime) => {
        openBreaker(r, 'a', NOW - 8_000); // until NOW + 2 s
        r.providers.get('a')?.cooldown.coolDown(NOW + 6_000);
        r.providers.get('b')?.cooldown.coolDown(NOW + 4_000);
      },
      picked: 'b',
    },
    {
      name: 'breaks a tie by priority tier, then by manifest order',
      providers: [{ name: 'a', priority: 1 }, { name: 'b' }, { name: 'c' }],
      prepare: (r: PoolRuntime) => {
        for (const n of ['a', 'b', 'c']) openBreaker(r, n, NOW);
      },
      picked: 'b',
    },
    {
      name: 'never picks a provider that refused the pool’s credentials',
      providers: [{ name: 'a' }, { name: 'b' }],
      prepare: (r: PoolRuntime) => {
        openBreaker(r, 'a', NOW - 9_000);
        openBreaker(r, 'b', NOW);
        const a = r.providers.get('a');
        if (a) a.credentialsRefused = true;
      },
      picked: 'b',
    },
    {
      name: 'refuses only when every provider is hard-down',
      providers: [{ name: 'a' }, { name: 'b' }],
      prepare: (r: PoolRuntime) => {
        for (const n of ['a', 'b']) {
          openBreaker(r, n, NOW);
          const p = r.providers.get(n);
          if (p) p.credentialsRefused = true;
        }
      },
      picked: undefined,
    },
    {
      name: 'never picks a drained provider',
      providers: [{ name: 'a', weight: 0 }, { name: 'b' }],
      prepare: (r: PoolRuntime) => openBreaker(r, 'b', NOW),
      picked: 'b',
    },
  ])('$name', ({ providers, prepare, picked }) => {
    const runtime = runtimeOf(providers, breaker);
    prepare(runtime);
    const targets = runtime.models.get('chat') ?? [];
    expect(selectTarget(targets, wrr(), ctx, new Set()).target).toBeUndefined();
    const chosen = selectOrPanic(targets, wrr(), ctx, new Set());
    expect(chosen.target?.provider.name).toBe(picked);
    if (chosen.target) expect(chosen).toMatchObject({ panic: true });
  });

  it('does not panic for a retry: the request was tried', () => {
    const runtime = runtimeOf([{ name: 'a' }, { name: 'b' }], breaker);
    openBreaker(runtime, 'a', NOW);
    openBreaker(runtime, 'b', NOW);
    const chosen = selectOrPanic(runtime.models.get('chat') ?? [], wrr(), ctx, new Set(['a']));
    expect(chosen.target).toBeUndefined();
  });

  it('leaves the breaker alone: a panic attempt’s outcome is not a probe', () => {
    const runtime = runtimeOf([{ name: 'a' }], breaker);
    openBreaker(runtime, 'a', NOW);
    const chosen = selectOrPanic(runtime.models.get('chat') ?? [], wrr(), ctx, new Set());
    expect(chosen.target?.provider.name).toBe('a');
    if (chosen.target) chosen.permit.release('success', 'target', NOW);
    expect(runtime.providers.get('a')?.breaker.state(NOW)).toBe('open');
  });
});

describe('priority tiers', () => {
  const pool = () =>
    runtimeOf([
      { name: 'p1', priority: 0 },
      { name: 'p2', priority: 0 },
      { name: 'f1', priority: 1 },
      { name: 'f2', priority: 2 },
    ]);
  it.each([
    { name: 'the strategy picks within the best tier', block: [], tried: [], from: ['p1', 'p2'] },
    {
      name: 'a retry stays in its tier while it has an untried provider',
      block: [],
      tried: ['p1'],
      from: ['p2'],
    },
    {
      name: 'a retry moves down a tier once the better one failed the request',
      block: [],
      tried: ['p1', 'p2'],
      from: ['f1'],
    },
    {
      name: 'a worse tier serves while the better one has none available',
      block: ['p1', 'p2'],
      tried: [],
      from: ['f1'],
    },
    {
      name: 'tiers are skipped until one has a provider',
      block: ['p1', 'p2', 'f1'],
      tried: [],
      from: ['f2'],
    },
    {
      name: 'a tried provider of the best tier comes after every untried one',
      block: [],
      tried: ['p1', 'p2', 'f1', 'f2'],
      from: ['p1', 'p2'],
    },
  ])('$name', ({ block, tried, from }) => {
    const runtime = pool();
    for (const n of block) runtime.providers.get(n)?.cooldown.coolDown(NOW + 1_000);
    const strategy = createStrategy('round-robin');
    const picks = new Set(
      Array.from({ length: 8 }, () => {
        const chosen = selectTarget(runtime.models.get('chat') ?? [], strategy, ctx, new Set(tried));
        if (chosen.target) chosen.permit.release('neutral', 'target', NOW);
        return chosen.target?.provider.name;
      }),
    );
    expect([...picks].sort()).toEqual(from);
  });
});

describe('the slowdowns a strategy sees for a target', () => {
  it.each([
    {
      name: 'are 1 with no evidence of its own and none from the fleet',
      fleet: undefined,
      hangingMs: 0,
      expected: { own: 1, fleet: 1 },
    },
    {
      name: 'carry the fleet’s while other sidecars see the target slow and this one has no evidence yet',
      fleet: { factor: 3.5, until: NOW + 1 },
      hangingMs: 0,
      expected: { own: 1, fleet: 3.5 },
    },
    {
      name: 'drop the fleet’s once it lapsed',
      fleet: { factor: 3.5, until: NOW },
      hangingMs: 0,
      expected: { own: 1, fleet: 1 },
    },
    {
      name: 'carry its own evidence and the fleet’s side by side',
      fleet: { factor: 2, until: NOW + 1 },
      hangingMs: 5_000,
      expected: { own: 5, fleet: 2 },
    },
  ])('$name', ({ fleet, hangingMs, expected }) => {
    const r = runtimeOf([{ name: 'a' }]);
    const a = r.models.get('chat')?.[0];
    if (a === undefined) throw new Error('no target');
    a.stats.recordLatency(NOW - 10_000, 1_000);
    if (hangingMs > 0) a.stats.start(NOW - hangingMs);
    a.health.fleetSlowdown = fleet;
    const seen: { own: number; fleet: number | undefined }[] = [];
    const recording = {
      name: 'adaptive' as const,
      pick: (candidates: readonly Candidate[]) => {
        seen.push(...candidates.map((c) => ({ own: c.slowdown, fleet: c.fleetSlowdown })));
        return candidates[0];
      },
    };
    selectTarget(r.models.get('chat') ?? [], recording, ctx, new Set());
    expect(seen).toEqual([expected]);
  });
});

describe('a probe of a target the fleet holds slow', () => {
  /** `a` held slow by the fleet with a probe due at once (an interval of 1 ms), `b` and `c` healthy. */
  function heldSlow(): PoolRuntime {
    const r = runtimeOf([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const a = r.models.get('chat')?.find((t) => t.provider.name === 'a');
    if (a === undefined) throw new Error('no target');
    a.health.fleetSlowdown = { factor: 4, until: NOW + 60_000, probeEveryMs: 1 };
    a.health.slowdownProbe.hold(a.health.fleetSlowdown, NOW - 1_000);
    a.health.slowdownProbe.due(a.health.fleetSlowdown, NOW - 1_000, seededRng(1));
    return r;
  }
  it.each([
    {
      name: 'goes to it on a first attempt, whatever the weights say',
      avoid: new Set<string>(),
      picked: 'a',
    },
    // c failed the first attempt: the retry goes where the weights say (b), not to the probe.
    { name: 'never takes a retry there', avoid: new Set(['c']), picked: 'b' },
  ])('$name', ({ avoid, picked }) => {
    const r = heldSlow();
    const adaptive = createStrategy('adaptive');
    const chosen = selectTarget(r.models.get('chat') ?? [], adaptive, ctx, avoid);
    expect(chosen.target?.provider.name).toBe(picked);
  });

  it('is taken once: the next first attempt waits for the next probe time', () => {
    const r = heldSlow();
    const a = r.models.get('chat')?.find((t) => t.provider.name === 'a');
    if (a === undefined || a.health.fleetSlowdown === undefined) throw new Error('no target');
    a.health.fleetSlowdown = { ...a.health.fleetSlowdown, probeEveryMs: 1 };
    const adaptive = createStrategy('adaptive');
    expect(selectTarget(r.models.get('chat') ?? [], adaptive, ctx, new Set()).target?.provider.name).toBe(
      'a',
    );
    expect(a.health.slowdownProbe.due(a.health.fleetSlowdown, NOW, seededRng(2))).toBe(false);
  });
});
