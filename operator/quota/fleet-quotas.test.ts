import { describe, expect, it } from '@jest/globals';
import type { QuotaShare } from '../../api/sync/sync-protocol.ts';
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import { targetReport } from '../../test/support/sync-reports.ts';
import { fleetRound, INITIAL_CONTROL_STATE } from '../control/fleet-round.ts';
import type { SidecarRecord } from '../fleet/fleet-aggregate.ts';
import { quotasChanged } from './fleet-quotas.ts';

const NOW = 1_000_000;
const WINDOW_MS = 30_000; // the fleet round's window: demand in it counts twice per minute

const spec = ProviderPoolSpecSchema.parse({
  providers: [
    { name: 'limited', limits: { requestsPerMinute: 1_000, tokensPerMinute: 100_000 } },
    { name: 'free' },
  ].map((p) => ({
    ...p,
    type: 'openai',
    baseURL: `http://${p.name}.test/v1`,
    models: [{ name: 'chat', model: 'm' }],
  })),
});

/** A sidecar that wanted `perMinute` requests (and 100 tokens each) of the limited provider; undefined: no report yet. */
function sidecar(id: string, perMinute: number | undefined, connected = true): SidecarRecord {
  const half = (perMinute ?? 0) / 2;
  return {
    id,
    connected,
    appliedVersion: 'v1',
    nack: undefined,
    reports:
      perMinute === undefined
        ? []
        : [
            {
              sidecar: id,
              configVersion: 'v1',
              windowStart: NOW - WINDOW_MS,
              windowEnd: NOW,
              targets: [
                targetReport('limited', { demandRequests: half, demandTokens: half * 100 }),
                targetReport('free', { demandRequests: 10 }),
              ],
              cooldowns: [],
            },
          ],
  };
}

const quotasOf = (sidecars: SidecarRecord[]) =>
  fleetRound({ spec, configVersion: 'v1', sidecars, state: INITIAL_CONTROL_STATE, now: NOW }).quotas;

const requestsOf = (quotas: ReadonlyMap<string, readonly QuotaShare[]>) =>
  Object.fromEntries([...quotas].map(([id, shares]) => [id, shares[0]?.requestsPerMinute]));

describe('the fleet’s quota shares in a round', () => {
  it.each<{ name: string; sidecars: SidecarRecord[]; requests: Record<string, number> }>([
    {
      name: 'splits equally (minus the newcomers’ reserve) between sidecars that both want more than the limit',
      sidecars: [sidecar('a', 2_000), sidecar('b', 2_000)],
      requests: { a: 475, b: 475 },
    },
    {
      name: 'follows demand: a small consumer gets what it asks for and the rest goes to the big one',
      sidecars: [sidecar('a', 100), sidecar('b', 2_000)],
      requests: { a: 100, b: 850 },
    },
    {
      name: 'gives connected sidecars that have not reported yet the reserve',
      sidecars: [sidecar('a', 2_000), sidecar('b', 2_000), sidecar('new', undefined)],
      requests: { a: 475, b: 475, new: 50 },
    },
    {
      name: 'gives the whole limit to a lone newcomer',
      sidecars: [sidecar('only', undefined)],
      requests: { only: 1_000 },
    },
    {
      name: 'gives nothing to a sidecar whose stream is closed (the reserve stays held for newcomers)',
      sidecars: [sidecar('a', 2_000), sidecar('gone', 2_000, false)],
      requests: { a: 950 },
    },
  ])('$name', ({ sidecars, requests }) => {
    const quotas = quotasOf(sidecars);
    expect(requestsOf(quotas)).toEqual(requests);
    const sum = (kind: 'requestsPerMinute' | 'tokensPerMinute') =>
      [...quotas.values()].reduce((s, shares) => s + (shares[0]?.[kind] ?? 0), 0);
    expect(sum('requestsPerMinute')).toBeLessThanOrEqual(1_000);
    expect(sum('tokensPerMinute')).toBeLessThanOrEqual(100_000);
  });

  it('shares only providers with limits, requests and tokens alike', () => {
    expect(quotasOf([sidecar('a', 2_000), sidecar('b', 100)]).get('b')).toEqual([
      { provider: 'limited', requestsPerMinute: 100, tokensPerMinute: 10_000 },
    ]);
  });
});

describe('per-model limits in a round', () => {
  const modelSpec = ProviderPoolSpecSchema.parse({
    providers: [
      {
        name: 'p',
        type: 'openai',
        baseURL: 'http://p.test/v1',
        models: [
          { name: 'big', model: 'b', limits: { tokensPerMinute: 10_000 } },
          { name: 'small', model: 's' },
        ],
      },
    ],
  });
  /** A sidecar that wanted `big` and `small` tokens a minute of the two models. */
  const wanting = (id: string, big: number, small: number): SidecarRecord => ({
    id,
    connected: true,
    appliedVersion: 'v1',
    nack: undefined,
    reports: [
      {
        sidecar: id,
        configVersion: 'v1',
        windowStart: NOW - WINDOW_MS,
        windowEnd: NOW,
        targets: [
          targetReport('p', { model: 'big', demandRequests: 1, demandTokens: big / 2 }),
          targetReport('p', { model: 'small', demandRequests: 1, demandTokens: small / 2 }),
        ],
        cooldowns: [],
      },
    ],
  });

  it('splits a model’s limit by the demand for that model alone, max-min fair, and names the model', () => {
    const quotas = fleetRound({
      spec: modelSpec,
      configVersion: 'v1',
      sidecars: [wanting('a', 2_000, 50_000), wanting('b', 20_000, 0)],
      state: INITIAL_CONTROL_STATE,
      now: NOW,
    }).quotas;
    expect(quotas.get('a')).toEqual([{ provider: 'p', model: 'big', tokensPerMinute: 2_000 }]);
    expect(quotas.get('b')).toEqual([{ provider: 'p', model: 'big', tokensPerMinute: 7_500 }]);
  });
});

describe('whether new shares are worth a push', () => {
  const of = (entries: Record<string, number>) =>
    new Map(Object.entries(entries).map(([id, rpm]) => [id, [{ provider: 'p', requestsPerMinute: rpm }]]));

  it.each([
    {
      name: 'not for a move of a few percent',
      pushed: of({ a: 500, b: 450 }),
      next: of({ a: 490, b: 460 }),
      push: false,
    },
    {
      name: 'yes for a larger move',
      pushed: of({ a: 500, b: 450 }),
      next: of({ a: 400, b: 550 }),
      push: true,
    },
    { name: 'yes when a sidecar joins', pushed: of({ a: 950 }), next: of({ a: 900, b: 50 }), push: true },
    { name: 'yes when a sidecar leaves', pushed: of({ a: 500, b: 450 }), next: of({ a: 950 }), push: true },
    { name: 'yes for the first shares', pushed: new Map(), next: of({ a: 950 }), push: true },
    { name: 'yes when a limit is added', pushed: new Map([['a', []]]), next: of({ a: 950 }), push: true },
  ])('$name', ({ pushed, next, push }) => {
    expect(quotasChanged(pushed, next)).toBe(push);
  });
});
