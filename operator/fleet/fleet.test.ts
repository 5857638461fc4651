import { describe, expect, it } from '@jest/globals';
import type { Report, TargetReport } from '../../api/sync/sync-protocol.ts';
import { ProviderPoolSpecSchema, type ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import { histogramOf, targetReport } from '../../test/support/sync-reports.ts';
import { aggregateFleet, type SidecarRecord } from './fleet-aggregate.ts';
import { providerStatuses, providerWindows } from './provider-status.ts';

const NOW = 1_800_000_000_000;
const WINDOW_MS = 30_000;

const spec: ProviderPoolSpec = ProviderPoolSpecSchema.parse({
  providers: ['a', 'b', 'c'].map((name) => ({
    name,
    type: 'openai',
    baseURL: `http://${name}.test/v1`,
    weight: name === 'c' ? 0 : 1,
    models: [{ name: 'chat', model: 'm', pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 3 } }],
  })),
});

const histogram = histogramOf;
const target = targetReport;

function report(endsAgoMs: number, targets: TargetReport[], lengthMs = 5_000): Report {
  return {
    sidecar: 'x',
    configVersion: 'v1',
    windowStart: NOW - endsAgoMs - lengthMs,
    windowEnd: NOW - endsAgoMs,
    targets,
    cooldowns: [],
  };
}

function sidecar(id: string, reports: Report[], fields: Partial<SidecarRecord> = {}): SidecarRecord {
  return { id, connected: true, appliedVersion: 'v1', nack: undefined, reports, ...fields };
}

describe('the fleet view of a pool', () => {
  it('counts connected, reporting and up-to-date sidecars, and the NACKs of the current version', () => {
    const fleet = aggregateFleet(
      [
        sidecar('s1', [report(1_000, [])]),
        sidecar('s2', [report(60_000, [])], { appliedVersion: 'v0' }),
        sidecar('s3', [], { appliedVersion: 'v0', nack: { version: 'v1', reason: 'unknown dialect' } }),
        sidecar('s4', [report(1_000, [])], { connected: false }),
        sidecar('s5', [], { nack: { version: 'v0', reason: 'old news' } }),
      ],
      'v1',
      NOW,
      WINDOW_MS,
    );
    expect(fleet.sidecars).toEqual({ connected: 4, reporting: 2, onCurrentVersion: 2 });
    expect(fleet.nacks).toEqual([{ sidecar: 's3', reason: 'unknown dialect' }]);
  });

  it('adds counts across sidecars and reports, and takes percentiles from the merged histogram', () => {
    const fast = histogram(...Array<number>(90).fill(50));
    const slow = histogram(...Array<number>(10).fill(1000));
    const fleet = aggregateFleet(
      [
        sidecar('s1', [
          report(5_000, [target('a', { attempts: 50, successes: 45, failures: 5, latency: fast })]),
        ]),
        sidecar('s2', [
          report(0, [target('a', { attempts: 50, successes: 50, latency: slow, inFlight: 3 })]),
        ]),
      ],
      'v1',
      NOW,
      WINDOW_MS,
    );
    const a = fleet.providers.get('a');
    expect(a?.attempts).toBe(100);
    expect(a?.failures).toBe(5);
    expect(a?.inFlight).toBe(3);
    const [status] = providerStatuses(spec, fleet, new Map([['a', 1.2]]), [], NOW);
    expect(status).toMatchObject({ name: 'a', state: 'Degraded', effectiveWeight: 1.2, errorRate: 0.05 });
    expect(status?.requestRate).toBeCloseTo(100 / 10, 1); // two reports spanning 10 s
    expect(status?.latencyP50Ms).toBeGreaterThan(40);
    expect(status?.latencyP50Ms).toBeLessThan(60);
    expect(status?.latencyP95Ms).toBeGreaterThan(800); // the slow sidecar's tail is the fleet's p95
  });

  it('ignores reports older than the window', () => {
    const fleet = aggregateFleet(
      [sidecar('s1', [report(WINDOW_MS + 1, [target('a', { attempts: 7 })]), report(0, [])])],
      'v1',
      NOW,
      WINDOW_MS,
    );
    expect(fleet.providers.get('a')).toBeUndefined();
  });

  it.each([
    {
      name: 'scores a target’s reports from after its recovery only',
      recoveredAgoMs: 7_000,
      attempts: 2,
      inputTokens: 300,
    },
    { name: 'scores them all without a recovery', recoveredAgoMs: undefined, attempts: 5, inputTokens: 300 },
    // The report that straddles the recovery counts: part of it came after.
    {
      name: 'scores a report that ended after the recovery',
      recoveredAgoMs: 12_000,
      attempts: 5,
      inputTokens: 300,
    },
  ])('$name, and counts every report’s tokens', ({ recoveredAgoMs, attempts, inputTokens }) => {
    const slow = target('a', { attempts: 3, successes: 3, inputTokens: 100 });
    const fast = target('a', { attempts: 2, successes: 2, inputTokens: 200 });
    const recoveredAt = new Map(recoveredAgoMs === undefined ? [] : [['a\u0000chat', NOW - recoveredAgoMs]]);
    const fleet = aggregateFleet(
      [sidecar('s1', [report(10_000, [slow]), report(0, [fast])])],
      'v1',
      NOW,
      WINDOW_MS,
      recoveredAt,
    );
    expect(fleet.providers.get('a')).toMatchObject({ attempts, inputTokens });
  });

  it.each<[string, Partial<TargetReport>[], boolean, string]>([
    [
      'a provider with open breakers on every reporting sidecar is Unhealthy',
      [{ breaker: 'open' }, { breaker: 'open' }],
      false,
      'Unhealthy',
    ],
    [
      'a provider with an open breaker on some sidecars is Degraded',
      [{ breaker: 'open' }, { attempts: 10, successes: 10 }],
      false,
      'Degraded',
    ],
    [
      'a provider in a pool-wide 429 cool-down is RateLimited',
      [{ attempts: 10, successes: 9, rateLimited: 1 }],
      true,
      'RateLimited',
    ],
    [
      'a provider failing under 5 % is Healthy',
      [{ attempts: 100, successes: 97, failures: 3 }],
      false,
      'Healthy',
    ],
  ])('%s', (_name, targets, coolingDown, state) => {
    const fleet = aggregateFleet(
      targets.map((t, i) => sidecar(`s${i}`, [report(0, [target('a', t)])])),
      'v1',
      NOW,
      WINDOW_MS,
    );
    const cooldowns = coolingDown
      ? [{ provider: 'a', until: NOW + 2000, reason: 'RateLimited' as const }]
      : [];
    expect(providerStatuses(spec, fleet, new Map(), cooldowns, NOW)[0]?.state).toBe(state);
  });

  it.each([
    {
      name: 'a cool-down of one model of a two-model provider lists that model and leaves the provider Healthy',
      models: ['chat'],
      state: 'Healthy',
      listed: ['chat'],
    },
    {
      name: 'cool-downs of every model of the provider make it RateLimited',
      models: ['chat', 'embed'],
      state: 'RateLimited',
      listed: ['chat', 'embed'],
    },
  ])('$name', ({ models, state, listed }) => {
    const twoModels = ProviderPoolSpecSchema.parse({
      providers: [
        {
          name: 'a',
          type: 'openai',
          baseURL: 'http://a.test/v1',
          models: [
            { name: 'chat', model: 'm' },
            { name: 'embed', model: 'e' },
          ],
        },
      ],
    });
    const fleet = aggregateFleet(
      [sidecar('s0', [report(0, [target('a', { attempts: 10, successes: 10 })])])],
      'v1',
      NOW,
      WINDOW_MS,
    );
    const cooldowns = models.map((model) => ({
      provider: 'a',
      model,
      until: NOW + 2000,
      reason: 'RateLimited' as const,
    }));
    expect(providerStatuses(twoModels, fleet, new Map(), cooldowns, NOW)[0]).toMatchObject({
      state,
      rateLimitedModels: listed,
    });
  });

  it('says Unknown for a provider nobody reported and Draining for weight 0, with no invented numbers', () => {
    const fleet = aggregateFleet([sidecar('s1', [report(0, [])])], 'v1', NOW, WINDOW_MS);
    expect(providerStatuses(spec, fleet, new Map(), [], NOW)).toEqual([
      { name: 'a', state: 'Unknown' },
      { name: 'b', state: 'Unknown' },
      { name: 'c', state: 'Draining' },
    ]);
  });

  it('gives reweighting the spec’s price blended as the traffic used tokens (not what the window billed, perhaps at a price since edited), or the list price before any traffic, and marks Unhealthy as down', () => {
    const fleet = aggregateFleet(
      [
        sidecar('s1', [
          report(0, [
            target('a', {
              attempts: 10,
              successes: 10,
              inputTokens: 900,
              outputTokens: 100,
              // billed at four times today's price (before an edit of the manifest)
              costUSD: 0.0048,
            }),
            target('b', { breaker: 'open' }),
          ]),
        ]),
      ],
      'v1',
      NOW,
      WINDOW_MS,
    );
    const windows = providerWindows(spec, fleet, providerStatuses(spec, fleet, new Map(), [], NOW));
    expect(windows.map((w) => [w.name, w.pricePerMillionTokens, w.down])).toEqual([
      ['a', expect.closeTo(1.2, 6), false],
      ['b', 2, true],
      ['c', 2, false],
    ]);
  });

  it('measures each sidecar’s demand per minute, for splitting quotas', () => {
    const fleet = aggregateFleet(
      [
        sidecar('s1', [report(0, [target('a', { demandRequests: 30, demandTokens: 3000 })], 30_000)]),
        sidecar('s2', [report(0, [target('a', { demandRequests: 5 })], 30_000)]),
      ],
      'v1',
      NOW,
      WINDOW_MS,
    );
    expect(Object.fromEntries(fleet.providers.get('a')?.demand ?? [])).toEqual({
      s1: { requestsPerMinute: 60, tokensPerMinute: 6000 },
      s2: { requestsPerMinute: 10, tokensPerMinute: 0 },
    });
  });
});

describe('the time failures took, for pricing a failure', () => {
  it.each([
    {
      name: 'is the mean over the failures whose time was reported (an older sidecar’s are left out)',
      reported: [
        { failures: 2, failureMs: 300 },
        { failures: 5, failureMs: undefined },
      ],
      expected: 150,
    },
    {
      name: 'is unknown when no sidecar reported it',
      reported: [{ failures: 3, failureMs: undefined }],
      expected: undefined,
    },
  ])('$name', ({ reported, expected }) => {
    const fleet = aggregateFleet(
      reported.map((r, i) =>
        sidecar(`s${i}`, [
          report(0, [
            target('a', {
              attempts: 10,
              successes: 10 - r.failures,
              failures: r.failures,
              ...(r.failureMs === undefined ? {} : { failureMs: r.failureMs }),
            }),
          ]),
        ]),
      ),
      'v1',
      NOW,
      WINDOW_MS,
    );
    const [a] = providerWindows(spec, fleet, providerStatuses(spec, fleet, new Map(), [], NOW));
    expect(a?.failureMs).toBe(expected);
  });
});
