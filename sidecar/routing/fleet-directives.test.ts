import { describe, expect, it } from '@jest/globals';
import { testRuntime } from './test-runtime.ts';
import { applyFleetDirectives } from './fleet-directives.ts';

const NOW = 1_000_000;

function runtime() {
  return testRuntime(
    { providers: ['a', 'b'].map((name) => ({ name, limits: { requestsPerMinute: 600 } })) },
    NOW,
  );
}

describe('applying the operator’s fleet directives', () => {
  it('adopts a pool-wide cool-down of a whole provider, not one scoped to a model', () => {
    const r = runtime();
    applyFleetDirectives(
      r,
      {
        weights: {},
        quotas: [],
        cooldowns: [
          { provider: 'a', until: NOW + 4_000, reason: 'RateLimited' },
          { provider: 'b', model: 'chat', until: NOW + 4_000, reason: 'RateLimited' },
        ],
      },
      NOW,
    );
    expect(r.providers.get('a')?.cooldown.isCoolingDown(NOW + 3_999)).toBe(true);
    expect(r.providers.get('b')?.cooldown.isCoolingDown(NOW)).toBe(false);
  });

  it.each([
    { name: 'enforces the whole limit standalone (no directives)', fleet: undefined, perMinute: 600 },
    {
      name: 'enforces this sidecar’s pushed share under an operator',
      fleet: { weights: {}, cooldowns: [], quotas: [{ provider: 'a', requestsPerMinute: 120 }] },
      perMinute: 120,
    },
    {
      name: 'starts at a tenth of the limit under an operator that has not pushed a share yet',
      fleet: { weights: {}, cooldowns: [], quotas: [] },
      perMinute: 60,
    },
  ])('$name', ({ fleet, perMinute }) => {
    const r = runtime();
    applyFleetDirectives(r, fleet, NOW);
    expect(r.providers.get('a')?.quota.rates.requestsPerMinute).toBe(perMinute);
  });

  it('holds the slowdowns other sidecars see on their targets, and clears them when the fleet no longer does', () => {
    const r = runtime();
    const chat = (provider: string) => r.models.get('chat')?.find((t) => t.provider.name === provider);
    const slowdowns = [{ provider: 'a', model: 'chat', factor: 3.5, until: NOW + 9_000 }];
    applyFleetDirectives(r, { weights: {}, cooldowns: [], quotas: [], slowdowns }, NOW);
    expect(chat('a')?.health.fleetSlowdown).toEqual({ factor: 3.5, until: NOW + 9_000 });
    expect(chat('b')?.health.fleetSlowdown).toBeUndefined();
    applyFleetDirectives(r, { weights: {}, cooldowns: [], quotas: [] }, NOW + 1_000);
    expect(chat('a')?.health.fleetSlowdown).toBeUndefined();
  });

  it('holds the probes asked for with a slowdown, and since when it holds the slowdown', () => {
    const r = runtime();
    const a = r.models.get('chat')?.find((t) => t.provider.name === 'a');
    const slowdowns = [
      { provider: 'a', model: 'chat', factor: 3.5, until: NOW + 9_000, probeEveryMs: 60_000 },
    ];
    applyFleetDirectives(r, { weights: {}, cooldowns: [], quotas: [], slowdowns }, NOW);
    applyFleetDirectives(r, { weights: {}, cooldowns: [], quotas: [], slowdowns }, NOW + 2_000);
    expect(a?.health.fleetSlowdown).toEqual({ factor: 3.5, until: NOW + 9_000, probeEveryMs: 60_000 });
    expect(a?.health.slowdownProbe.heldSince).toBe(NOW);
  });

  it.each([
    {
      name: 'forgets its own memory of a slow spell the fleet saw end',
      at: NOW - 500,
      appliedBefore: -Infinity,
      forgets: true,
    },
    {
      name: 'applies a recovery once: the same one again forgets nothing new',
      at: NOW - 500,
      appliedBefore: NOW - 500,
      forgets: false,
    },
  ])('$name', ({ at, appliedBefore, forgets }) => {
    const r = runtime();
    const a = r.models.get('chat')?.find((t) => t.provider.name === 'a');
    if (a === undefined) throw new Error('no target');
    for (let i = 0; i < 20; i++) a.stats.recordLatency(NOW - 60_000 + i * 1_000, 1_000);
    for (let i = 0; i < 3; i++) a.stats.recordLatency(NOW - 2_000 + i, 5_000);
    a.health.recoveredAt = appliedBefore;
    const recoveries = [{ provider: 'a', model: 'chat', at }];
    applyFleetDirectives(r, { weights: {}, cooldowns: [], quotas: [], recoveries }, NOW);
    expect(a.stats.slowdown(NOW) === 1).toBe(forgets);
    expect(a.health.recoveredAt).toBe(at);
  });
});
