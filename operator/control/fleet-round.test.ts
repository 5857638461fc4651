import { describe, expect, it } from '@jest/globals';
import type { Report, TargetReport } from '../../api/sync/sync-protocol.ts';
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import { histogramOf, targetReport } from '../../test/support/sync-reports.ts';
import type { SidecarRecord } from '../fleet/fleet-aggregate.ts';
import { fleetRound, initialWeights, INITIAL_CONTROL_STATE, type PoolControlState } from './fleet-round.ts';

const ROUND_MS = 5_000;

const price = (perMillion: number) => ({
  inputPerMillionTokens: perMillion,
  outputPerMillionTokens: perMillion,
});

const specOf = (strategy: string) =>
  ProviderPoolSpecSchema.parse({
    strategy: { type: strategy },
    providers: [
      { name: 'fast', weight: 1 },
      { name: 'slow', weight: 3 },
    ].map((p) => ({
      ...p,
      type: 'openai',
      baseURL: `http://${p.name}.test/v1`,
      models: [{ name: 'chat', model: 'm' }],
    })),
  });

function target(provider: string, latencyMs: number, attempts = 100): TargetReport {
  return targetReport(provider, {
    attempts,
    successes: attempts,
    latency: histogramOf(...Array<number>(attempts).fill(latencyMs)),
    demandRequests: attempts,
  });
}

function sidecarAt(now: number, targets: TargetReport[], cooldowns: Report['cooldowns'] = []): SidecarRecord {
  return {
    id: 'pod-1',
    connected: true,
    appliedVersion: 'v1',
    nack: undefined,
    reports: [
      {
        sidecar: 'pod-1',
        configVersion: 'v1',
        windowStart: now - ROUND_MS,
        windowEnd: now,
        targets,
        cooldowns,
      },
    ],
  };
}

function run(strategy: string, rounds: number, slowLatency: (round: number) => number) {
  let state: PoolControlState = INITIAL_CONTROL_STATE;
  const weights: Record<string, number>[] = [];
  for (let r = 1; r <= rounds; r++) {
    const now = r * ROUND_MS;
    const out = fleetRound({
      spec: specOf(strategy),
      configVersion: 'v1',
      sidecars: [sidecarAt(now, [target('fast', 100), target('slow', slowLatency(r))])],
      state,
      now,
    });
    state = out.state;
    weights.push(out.weights);
  }
  return weights;
}

describe('a round of the fleet control loop', () => {
  it('moves an adaptive pool’s weight away from a provider that turns slow, and gives it back after', () => {
    const weights = run('adaptive', 40, (r) => (r <= 20 ? 600 : 100));
    // One bounded step (10 % of the traffic) per round, starting from the spec's 1:3.
    expect(weights[0]).toEqual({ fast: 1.4, slow: 2.6 });
    expect(weights[19]?.slow).toBeLessThan(0.5);
    expect(weights[39]?.slow).toBeCloseTo(3, 0);
    for (const w of weights) expect((w.fast ?? 0) + (w.slow ?? 0)).toBeCloseTo(4, 2);
  });

  it.each([
    {
      name: 'publishes a new adaptive cost pool with the ten times dearer provider at the floor',
      strategy: 'adaptive',
      expected: { fast: 0.04, slow: 3.96 },
    },
    {
      name: 'publishes a new pool on another strategy with the spec’s weights, prices or not',
      strategy: 'weighted-round-robin',
      expected: { fast: 1, slow: 3 },
    },
  ])('$name', ({ strategy, expected }) => {
    const spec = ProviderPoolSpecSchema.parse({
      ...specOf(strategy),
      strategy: { type: strategy, adaptive: { objective: 'cost' } },
      providers: specOf(strategy).providers.map((p) => ({
        ...p,
        models: [{ name: 'chat', model: 'm', pricing: price(p.name === 'fast' ? 10 : 1) }],
      })),
    });
    expect(initialWeights(spec)).toEqual(expected);
  });

  it('never overrides the spec’s weights of a pool on another strategy', () => {
    for (const w of run('weighted-round-robin', 10, () => 600)) expect(w).toEqual({ fast: 1, slow: 3 });
  });

  it('spreads a cool-down one sidecar reported, and drops it once it has passed', () => {
    const now = 100_000;
    const reported = [{ provider: 'slow', until: now + 2_000, reason: 'RateLimited' as const }];
    const first = fleetRound({
      spec: specOf('adaptive'),
      configVersion: 'v1',
      sidecars: [sidecarAt(now, [target('slow', 100, 10)], reported)],
      state: INITIAL_CONTROL_STATE,
      now,
    });
    expect(first.cooldowns).toEqual(reported);
    expect(first.observation.providers.find((p) => p.name === 'slow')?.state).toBe('RateLimited');
    const later = fleetRound({
      spec: specOf('adaptive'),
      configVersion: 'v1',
      sidecars: [sidecarAt(now, [], reported)],
      state: first.state,
      now: now + 2_001,
    });
    expect(later.cooldowns).toEqual([]);
  });

  it('tells status how many sidecars run the current version and what each provider looks like', () => {
    const out = fleetRound({
      spec: specOf('adaptive'),
      configVersion: 'v1',
      sidecars: [sidecarAt(ROUND_MS, [target('fast', 100), target('slow', 100)])],
      state: INITIAL_CONTROL_STATE,
      now: ROUND_MS,
    });
    expect(out.observation.sidecars).toEqual({ connected: 1, reporting: 1, onCurrentVersion: 1 });
    expect(out.observation.providers.map((p) => [p.name, p.state, p.effectiveWeight])).toEqual([
      ['fast', 'Healthy', 1],
      ['slow', 'Healthy', 3],
    ]);
  });
});
