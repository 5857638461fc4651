/**
 * The whole quota loop in virtual time, pure functions only: sidecars flooding a limited provider through their
 * QuotaBudgets, reporting their demand every 5 s; the operator's fleet round splitting the limit every 5 s; the
 * shares set on the budgets as a sidecar applies them. Counts what the provider receives over every minute.
 */
import { describe, expect, it } from '@jest/globals';
import type { QuotaShare, Report } from '../../api/sync/sync-protocol.ts';
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import {
  fleetRound,
  INITIAL_CONTROL_STATE,
  type PoolControlState,
} from '../../operator/control/fleet-round.ts';
import type { SidecarRecord } from '../../operator/fleet/fleet-aggregate.ts';
import { QuotaBudget } from '../../sidecar/quota/quota-budget.ts';
import { quotaRates } from '../../sidecar/quota/quota-rates.ts';
import { targetReport } from '../support/sync-reports.ts';

const LIMIT = 600; // requests per minute
const ROUND_MS = 5_000;
const REPORT_MS = 5_000;
const spec = ProviderPoolSpecSchema.parse({
  providers: [
    {
      name: 'limited',
      type: 'openai',
      baseURL: 'http://limited.test/v1',
      models: [{ name: 'chat', model: 'm' }],
      limits: { requestsPerMinute: LIMIT },
    },
  ],
});
const provider = spec.providers[0];

interface SimSidecar {
  readonly id: string;
  readonly budget: QuotaBudget;
  readonly reports: Report[];
  /** Requests offered every `offerEveryMs` (demand), whether admitted or not. */
  readonly offerEveryMs: number;
  demand: number;
  windowStart: number;
}

function simulate(options: {
  sidecars: { id: string; joinAt: number; offerEveryMs: number }[];
  durationMs: number;
}) {
  if (provider === undefined) throw new Error('no provider');
  const sidecars: SimSidecar[] = [];
  let state: PoolControlState = INITIAL_CONTROL_STATE;
  const perSecond = new Array<number>(Math.ceil(options.durationMs / 1000)).fill(0);
  const held: { at: number; held: boolean }[] = [];
  for (let t = 0; t < options.durationMs; t += 10) {
    for (const s of options.sidecars)
      if (s.joinAt === t)
        // A newcomer has no share yet: a tenth of the limit until the operator's next round.
        sidecars.push({
          id: s.id,
          budget: new QuotaBudget(quotaRates(provider, []), t),
          reports: [],
          offerEveryMs: s.offerEveryMs,
          demand: 0,
          windowStart: t,
        });
    for (const s of sidecars) {
      if (t % s.offerEveryMs !== 0) continue;
      s.demand++;
      if (s.budget.tryTake(t, 0))
        perSecond[Math.floor(t / 1000)] = (perSecond[Math.floor(t / 1000)] ?? 0) + 1;
      if (t - s.windowStart >= REPORT_MS) {
        s.reports.push({
          sidecar: s.id,
          windowStart: s.windowStart,
          windowEnd: t,
          targets: [targetReport('limited', { demandRequests: s.demand })],
          cooldowns: [],
        });
        while ((s.reports[0]?.windowEnd ?? Infinity) < t - 35_000) s.reports.shift();
        s.demand = 0;
        s.windowStart = t;
      }
    }
    if (t > 0 && t % ROUND_MS === 0) {
      const records: SidecarRecord[] = sidecars.map((s) => ({
        id: s.id,
        connected: true,
        appliedVersion: 'v1',
        nack: undefined,
        reports: s.reports,
      }));
      const result = fleetRound({ spec, configVersion: 'v1', sidecars: records, state, now: t });
      state = result.state;
      held.push({ at: t, held: result.reserveHeld });
      for (const s of sidecars) {
        const shares: readonly QuotaShare[] = result.quotas.get(s.id) ?? [];
        s.budget.setRates(quotaRates(provider, shares), t);
      }
    }
  }
  const window = (from: number) => perSecond.slice(from, from + 60).reduce((a, b) => a + b, 0);
  return { window, held, seconds: perSecond.length };
}

describe('a fleet flooding a provider whose limit the operator splits', () => {
  it('uses all of a saturated limit once the fleet is stable (the newcomers’ reserve released), never more than 5 % over', () => {
    const { window, held } = simulate({
      sidecars: [
        { id: 'a', joinAt: 0, offerEveryMs: 20 },
        { id: 'b', joinAt: 0, offerEveryMs: 50 },
        { id: 'c', joinAt: 0, offerEveryMs: 200 },
      ],
      durationMs: 240_000,
    });
    expect(held.at(-1)?.held).toBe(false);
    for (let s = 60; s + 60 <= 240; s += 5) {
      expect(window(s)).toBeLessThanOrEqual(LIMIT * 1.05);
      expect(window(s)).toBeGreaterThanOrEqual(LIMIT * 0.97);
    }
  });

  it('brings the reserve back when a sidecar joins, and stays within 5 % over every minute around the join', () => {
    const { window, held } = simulate({
      sidecars: [
        { id: 'a', joinAt: 0, offerEveryMs: 20 },
        { id: 'b', joinAt: 0, offerEveryMs: 20 },
        { id: 'late', joinAt: 120_000, offerEveryMs: 20 },
      ],
      durationMs: 300_000,
    });
    expect(held.find((h) => h.at === 115_000)?.held).toBe(false);
    expect(held.find((h) => h.at === 125_000)?.held).toBe(true);
    expect(held.at(-1)?.held).toBe(false);
    for (let s = 30; s + 60 <= 300; s += 1) expect(window(s)).toBeLessThanOrEqual(LIMIT * 1.05);
    expect(window(200)).toBeGreaterThanOrEqual(LIMIT * 0.97);
  });
});
