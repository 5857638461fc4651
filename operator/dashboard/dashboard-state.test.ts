import { describe, expect, it } from '@jest/globals';
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import type { PoolView } from '../control/pool-loop.ts';
import { poolFromRecord, poolFromView } from './dashboard-state.ts';

const spec = ProviderPoolSpecSchema.parse({
  strategy: { type: 'adaptive' },
  providers: ['a', 'b'].map((name) => ({
    name,
    type: 'openai',
    baseURL: `http://${name}.example/v1`,
    weight: 2,
    models: [{ name: 'chat', model: 'm' }],
  })),
});

const view: PoolView = {
  namespace: 'default',
  name: 'chat',
  generation: 1,
  spec,
  configVersion: 'v2',
  status: {
    configVersion: 'v1',
    providers: [
      { name: 'a', state: 'Healthy', effectiveWeight: 3, requestRate: 9, latencyP50Ms: 40 },
      { name: 'b', state: 'RateLimited', effectiveWeight: 1, requestRate: 1 },
    ],
  },
  providers: [
    {
      name: 'a',
      costPerSecondUSD: 0.001,
      tokensPerSecond: 50,
      inFlight: 1,
      sidecarsReporting: 2,
      breakersOpen: 0,
    },
    {
      name: 'b',
      costPerSecondUSD: 0,
      tokensPerSecond: 0,
      inFlight: 0,
      sidecarsReporting: 2,
      breakersOpen: 1,
    },
  ],
  sidecars: [
    { id: 's1', connected: true, appliedVersion: 'v2', nack: undefined },
    { id: 's2', connected: false, appliedVersion: 'v1', nack: { version: 'v2', reason: 'no key' } },
  ],
  cooldowns: [
    { provider: 'b', until: 5_000, reason: 'RateLimited' },
    { provider: 'b', until: 9_000, reason: 'RateLimited' },
    { provider: 'a', model: 'm', until: 7_000, reason: 'RateLimited' },
  ],
  panic: false,
  at: 0,
};

describe('what the dashboard shows of a pool', () => {
  it('gives each provider its weights, traffic share of the measured requests and spend per hour', () => {
    const pool = poolFromView(view);
    expect(pool.configVersion).toBe('v2');
    expect(pool.providers.map((p) => [p.name, p.weight, p.effectiveWeight, p.trafficShare])).toEqual([
      ['a', 2, 3, 0.9],
      ['b', 2, 1, 0.1],
    ]);
    expect(pool.providers[0]?.costPerHourUSD).toBeCloseTo(3.6);
    expect(pool.providers[1]?.breakersOpen).toBe(1);
  });

  it('shows the latest pool-wide cool-down of a provider, not those of one model', () => {
    const pool = poolFromView(view);
    expect(pool.providers.map((p) => p.coolingDownUntil)).toEqual([null, 9_000]);
  });

  it('shows the cool-downs of one model apart, on that model’s provider, with their end', () => {
    const pool = poolFromView(view);
    expect(pool.providers.map((p) => p.coolingModels)).toEqual([[{ model: 'm', until: 7_000 }], []]);
  });

  it('read from a cluster’s status, lists the models cooling down without an end it does not know', () => {
    const pool = poolFromRecord({
      ...view,
      status: {
        ...view.status,
        providers: [{ name: 'a', state: 'RateLimited', rateLimitedModels: ['m', 'n'] }],
      },
    });
    expect(pool.providers.map((p) => p.coolingModels)).toEqual([
      [
        { model: 'm', until: null },
        { model: 'n', until: null },
      ],
      [],
    ]);
  });

  it('lists each sidecar with the version it runs and what it refused', () => {
    expect(poolFromView(view).sidecars).toEqual([
      { id: 's1', connected: true, appliedVersion: 'v2', nack: null },
      { id: 's2', connected: false, appliedVersion: 'v1', nack: 'v2: no key' },
    ]);
  });

  it('has no traffic share before any request was measured', () => {
    const pool = poolFromView({ ...view, status: undefined });
    expect(pool.providers.map((p) => [p.state, p.trafficShare, p.effectiveWeight])).toEqual([
      ['Unknown', null, null],
      ['Unknown', null, null],
    ]);
  });
});
