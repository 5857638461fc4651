import { describe, expect, it } from '@jest/globals';
import { histogramMean, LatencyRecorder } from '../../core/latency-histogram.ts';
import { seededRng, type Rng } from '../../core/clock.ts';
import { scoreProviders, type ProviderWindow } from './provider-score.ts';
import {
  DEFAULT_REWEIGHT_SETTINGS,
  holdBand,
  priorShares,
  reweight,
  type ProviderWeight,
  type ReweightSettings,
} from './reweight.ts';

const ROUND_MS = 5_000;

interface Behaviour {
  readonly latencyMs?: number;
  readonly failureRate?: number;
  readonly rateLimitRate?: number;
  readonly price?: number;
  readonly down?: boolean;
  readonly weight?: number;
  readonly attempts?: number;
  /** Relative latency noise per sample (0.1 = ±10 %). */
  readonly noise?: number;
}

/** What the fleet would report about a provider behaving so over one window. */
function observe(name: string, b: Behaviour, rng: Rng): ProviderWindow {
  const attempts = b.down ? 0 : (b.attempts ?? 200);
  const recorder = new LatencyRecorder();
  const failures = Math.round(attempts * (b.failureRate ?? 0));
  const rateLimited = Math.round(attempts * (b.rateLimitRate ?? 0));
  for (let i = 0; i < attempts - failures - rateLimited; i++)
    recorder.record((b.latencyMs ?? 100) * (1 + (b.noise ?? 0.1) * (2 * rng() - 1)));
  return {
    name,
    configuredWeight: b.weight ?? 1,
    attempts,
    failures,
    rateLimited,
    latency: recorder.take(),
    pricePerMillionTokens: b.price,
    down: b.down ?? false,
  };
}

/** Runs rounds in virtual time; `world(round)` says how each provider behaves in that round. */
function simulate(
  rounds: number,
  world: (round: number) => Record<string, Behaviour>,
  settings: ReweightSettings = DEFAULT_REWEIGHT_SETTINGS,
) {
  const rng = seededRng(11);
  let weights: ReadonlyMap<string, ProviderWeight> = new Map();
  const history: Record<string, number>[] = [];
  const panics: boolean[] = [];
  for (let r = 0; r < rounds; r++) {
    const windows = Object.entries(world(r)).map(([name, b]) => observe(name, b, rng));
    const result = reweight(weights, windows, r * ROUND_MS, settings);
    weights = result.weights;
    panics.push(result.panic);
    history.push(Object.fromEntries([...weights].map(([n, w]) => [n, w.share])));
  }
  const share = (round: number, name: string) => history[round]?.[name] ?? Number.NaN;
  return { history, share, panics, last: history[rounds - 1] ?? {}, weights };
}

const total = (shares: Record<string, number>) => Object.values(shares).reduce((a, b) => a + b, 0);

describe('adaptive reweighting', () => {
  it('keeps the spec proportions for providers that perform alike, and never drifts', () => {
    const { history } = simulate(40, () => ({
      a: { latencyMs: 100, weight: 3 },
      b: { latencyMs: 100, weight: 1 },
    }));
    for (const shares of history) {
      expect(shares.a).toBeCloseTo(0.75, 2);
      expect(shares.b).toBeCloseTo(0.25, 2);
    }
  });

  it('moves traffic away from a provider that turns 5× slower, by bounded steps, and settles', () => {
    const { history, share } = simulate(30, (r) => ({
      fast: { latencyMs: 100 },
      slow: { latencyMs: r < 2 ? 100 : 500 },
    }));
    for (let r = 1; r < history.length; r++)
      expect(Math.abs(share(r, 'slow') - share(r - 1, 'slow'))).toBeLessThanOrEqual(
        DEFAULT_REWEIGHT_SETTINGS.maxStep + 1e-9,
      );
    expect(share(29, 'slow')).toBeLessThan(0.1);
    expect(share(29, 'slow')).toBeGreaterThanOrEqual(DEFAULT_REWEIGHT_SETTINGS.floor);
    // Settled: the last ten rounds change nothing (no oscillation).
    for (let r = 20; r < 30; r++) expect(share(r, 'slow')).toBeCloseTo(share(19, 'slow'), 9);
  });

  it('brings traffic back after the slow provider recovers, without overshooting past its spec share', () => {
    const { share, history } = simulate(60, (r) => ({
      fast: { latencyMs: 100 },
      slow: { latencyMs: r >= 2 && r < 20 ? 500 : 100 },
    }));
    expect(share(19, 'slow')).toBeLessThan(0.1);
    expect(share(59, 'slow')).toBeCloseTo(0.5, 1);
    for (let r = 20; r < history.length; r++) expect(share(r, 'slow')).toBeLessThanOrEqual(0.5 + 0.02);
  });

  it('stays near an even split under noisy measurements of equal providers, with small moves', () => {
    const { share } = simulate(60, () => ({
      a: { latencyMs: 100, noise: 0.5, attempts: 40 },
      b: { latencyMs: 100, noise: 0.5, attempts: 40 },
    }));
    let moved = 0;
    for (let r = 1; r < 60; r++) moved += Math.abs(share(r, 'a') - share(r - 1, 'a'));
    expect(moved / 59).toBeLessThan(0.01);
    for (let r = 0; r < 60; r++) expect(Math.abs(share(r, 'a') - 0.5)).toBeLessThan(0.1);
  });

  it.each<[string, Behaviour, number]>([
    ['penalises a provider failing 30 % of its attempts', { failureRate: 0.3 }, 0.1],
    ['penalises a provider answering 429 to 30 % of its attempts', { rateLimitRate: 0.3 }, 0.25],
    ['keeps a provider that failed everything at the floor, still measured', { failureRate: 1 }, 0.021],
  ])('%s', (_name, behaviour, atMost) => {
    const { last } = simulate(30, () => ({
      good: { latencyMs: 100 },
      bad: { latencyMs: 100, ...behaviour },
    }));
    expect(last.bad).toBeLessThan(atMost);
    expect(last.bad).toBeGreaterThanOrEqual(DEFAULT_REWEIGHT_SETTINGS.floor - 1e-9);
  });

  it('prefers the cheaper provider when the objective is cost, and ignores price when it is latency', () => {
    const world = () => ({ cheap: { latencyMs: 150, price: 0.5 }, pricey: { latencyMs: 100, price: 5 } });
    const byCost = simulate(30, world, { ...DEFAULT_REWEIGHT_SETTINGS, objective: 'cost' }).last;
    const byLatency = simulate(30, world, { ...DEFAULT_REWEIGHT_SETTINGS, objective: 'latency' }).last;
    expect(byCost.cheap).toBeGreaterThan(0.9);
    expect(byLatency.pricey).toBeGreaterThan(byLatency.cheap ?? 1);
  });

  it('is greedier at a lower temperature', () => {
    const world = () => ({ fast: { latencyMs: 100 }, slower: { latencyMs: 150 } });
    const greedy = simulate(40, world, { ...DEFAULT_REWEIGHT_SETTINGS, temperature: 0.2 }).last;
    const mild = simulate(40, world, { ...DEFAULT_REWEIGHT_SETTINGS, temperature: 2 }).last;
    expect(greedy.slower).toBeLessThan(mild.slower ?? 0);
    expect(mild.slower).toBeGreaterThan(0.4);
  });

  it('drops a provider that is down to 0 at once, and slow-starts it from the floor when it returns', () => {
    const downFrom = 5;
    const backAt = 15;
    const { share } = simulate(40, (r) => ({
      a: { latencyMs: 100 },
      b: { latencyMs: 100, down: r >= downFrom && r < backAt },
    }));
    expect(share(downFrom, 'b')).toBe(0);
    expect(share(downFrom, 'a')).toBe(1);
    expect(share(backAt, 'b')).toBeCloseTo(DEFAULT_REWEIGHT_SETTINGS.floor, 5);
    const rampRounds = DEFAULT_REWEIGHT_SETTINGS.slowStartMs / ROUND_MS;
    for (let r = backAt + 1; r <= backAt + rampRounds; r++) {
      expect(share(r, 'b')).toBeGreaterThanOrEqual(share(r - 1, 'b'));
      // never above the ramp's cap on its fair half
      expect(share(r, 'b')).toBeLessThanOrEqual((0.5 * (r - backAt)) / rampRounds + 0.021);
    }
    expect(share(39, 'b')).toBeCloseTo(0.5, 1);
  });

  it('drains a provider whose spec weight becomes 0 at once', () => {
    const { share } = simulate(10, (r) => ({ a: {}, b: { weight: r < 5 ? 1 : 0 } }));
    expect(share(4, 'b')).toBeCloseTo(0.5, 1);
    expect(share(5, 'b')).toBe(0);
  });

  it('remembers the score of a provider demoted to a trickle, so it does not bounce back and forth', () => {
    // Traffic follows the shares, as in a real pool: at the floor the slow provider gets too few attempts to measure.
    const rng = seededRng(5);
    let weights: ReadonlyMap<string, ProviderWeight> = new Map();
    const slowShares: number[] = [];
    for (let r = 0; r < 40; r++) {
      const attempts = (name: string) => Math.round(100 * (weights.get(name)?.share ?? 0.5));
      const windows = [
        observe('fast', { latencyMs: 100, attempts: attempts('fast') }, rng),
        observe('slow', { latencyMs: 800, attempts: attempts('slow') }, rng),
      ];
      weights = reweight(weights, windows, r * ROUND_MS).weights;
      slowShares.push(weights.get('slow')?.share ?? Number.NaN);
    }
    const settled = slowShares.slice(15);
    expect(Math.max(...settled)).toBeLessThan(0.1);
  });

  it('explores a provider with no measurements instead of starving it', () => {
    const { last } = simulate(20, () => ({
      measured: { latencyMs: 100 },
      other: { latencyMs: 300 },
      fresh: { attempts: 3 },
    }));
    expect(last.fresh).toBeGreaterThan(0.2);
  });

  it('falls back to the spec weights (panic) when every provider is down', () => {
    const { last, panics } = simulate(3, () => ({
      a: { down: true, weight: 1 },
      b: { down: true, weight: 3 },
    }));
    expect(panics).toEqual([true, true, true]);
    expect(last).toEqual({ a: 0.25, b: 0.75 });
  });

  it('always gives shares that sum to 1, with effective weights on the spec scale', () => {
    const { history, weights } = simulate(30, (r) => ({
      a: { latencyMs: 80 + r * 10, weight: 2 },
      b: { latencyMs: 300, failureRate: 0.1, weight: 1 },
      c: { latencyMs: 120, down: r % 7 === 3, weight: 1 },
    }));
    for (const shares of history) expect(total(shares)).toBeCloseTo(1, 9);
    const effective = [...weights.values()].reduce((s, w) => s + w.effectiveWeight, 0);
    expect(effective).toBeCloseTo(4, 9);
  });
});

describe('reweighting with noisy measurements', () => {
  it.each([
    {
      name: 'counts a clear difference in full: a provider 20 % slower measured on 200 attempts ends near the floor',
      noise: 0.1,
      attempts: 200,
      slowerAtMost: 0.2,
    },
    {
      name: 'barely counts a difference within the noise: 5 % slower on 20 very noisy attempts stays near half',
      noise: 0.9,
      attempts: 20,
      slowerAtLeast: 0.35,
    },
  ])('$name', ({ noise, attempts, slowerAtMost, slowerAtLeast }) => {
    const slowdown = slowerAtMost === undefined ? 1.05 : 1.2;
    const { last } = simulate(40, () => ({
      fast: { latencyMs: 100, noise, attempts },
      slower: { latencyMs: 100 * slowdown, noise, attempts },
    }));
    if (slowerAtMost !== undefined) expect(last.slower).toBeLessThan(slowerAtMost);
    if (slowerAtLeast !== undefined) expect(last.slower).toBeGreaterThan(slowerAtLeast);
  });

  it('without the noise margin, chases noise between equal providers', () => {
    const world = () => ({
      a: { latencyMs: 100, noise: 0.5, attempts: 40 },
      b: { latencyMs: 100, noise: 0.5, attempts: 40 },
    });
    const moves = (settings: ReweightSettings) => {
      const { share } = simulate(60, world, settings);
      let moved = 0;
      for (let r = 1; r < 60; r++) moved += Math.abs(share(r, 'a') - share(r - 1, 'a'));
      return moved / 59;
    };
    expect(moves({ ...DEFAULT_REWEIGHT_SETTINGS, noiseMargin: 0 })).toBeGreaterThan(
      3 * moves(DEFAULT_REWEIGHT_SETTINGS),
    );
  });
});

describe('the hold band (hysteresis) scales with how much noise can move a share', () => {
  it.each([
    { name: 'is the whole deadband at an even split', held: 0.5, band: 0.05 },
    {
      name: 'narrows toward the ends, as a softmax share moves by p(1 − p) per unit of score',
      held: 0.9,
      band: 0.018,
    },
    {
      name: 'is a small fraction of a share at the floor, so it is not held at several times its target',
      held: 0.018,
      band: 0.003535,
    },
    { name: 'is zero at a share of 0 or 1', held: 1, band: 0 },
  ])('$name', ({ held, band }) => {
    expect(holdBand(held, 0.05)).toBeCloseTo(band, 6);
  });
});

describe('where the shares start before anything is measured', () => {
  const unmeasured = (name: string, price: number | undefined, weight = 1): ProviderWindow => ({
    name,
    configuredWeight: weight,
    attempts: 0,
    failures: 0,
    rateLimited: 0,
    latency: [],
    pricePerMillionTokens: price,
    down: false,
  });
  const settings = (objective: ReweightSettings['objective']) => ({
    ...DEFAULT_REWEIGHT_SETTINGS,
    objective,
  });

  it.each([
    {
      name: 'a cost pool starts with a provider ten times dearer at the floor',
      objective: 'cost' as const,
      providers: [unmeasured('dear', 10), unmeasured('cheap', 1)],
      expected: { dear: 0.01, cheap: 0.99 },
    },
    {
      name: 'a latency pool starts at the spec’s proportions, whatever the prices',
      objective: 'latency' as const,
      providers: [unmeasured('dear', 10, 3), unmeasured('cheap', 1)],
      expected: { dear: 0.75, cheap: 0.25 },
    },
    {
      name: 'a balanced pool counts half the price: 20 % dearer gets (1/1.2)^5 of the weight',
      objective: 'balanced' as const,
      providers: [unmeasured('dear', 1.2), unmeasured('cheap', 1)],
      expected: { dear: 1.2 ** -5 / (1 + 1.2 ** -5), cheap: 1 / (1 + 1.2 ** -5) },
    },
    {
      name: 'an unpriced provider counts as the cheapest (nothing is known against it)',
      objective: 'cost' as const,
      providers: [unmeasured('unpriced', undefined), unmeasured('cheap', 1)],
      expected: { unpriced: 0.5, cheap: 0.5 },
    },
  ])('$name', ({ objective, providers, expected }) => {
    const shares = Object.fromEntries(priorShares(providers, settings(objective)));
    for (const [name, share] of Object.entries(expected)) expect(shares[name]).toBeCloseTo(share, 6);
  });

  it('is where the first round moves from, by one bounded step toward what it measured', () => {
    const rng = seededRng(1);
    const windows = [
      observe('dear', { latencyMs: 100, price: 10 }, rng),
      observe('cheap', { latencyMs: 300, price: 1 }, rng),
    ];
    const first = reweight(new Map(), windows, 0, settings('cost')).weights;
    // From the prior (dear at the floor) the measured speed can only lift it by smoothing × gap, at most maxStep.
    expect(first.get('dear')?.share).toBeLessThanOrEqual(0.01 + DEFAULT_REWEIGHT_SETTINGS.maxStep + 1e-9);
  });
});

describe('what a failure costs in the score', () => {
  const failing = (failureMs: number | undefined): ProviderWindow => ({
    ...observe('p', { latencyMs: 1_000, failureRate: 0.1, noise: 0 }, seededRng(1)),
    failureMs,
  });
  const penalty = (failureMs: number | undefined) => {
    const [withFailures] = scoreProviders([failing(failureMs)], DEFAULT_REWEIGHT_SETTINGS);
    const [clean] = scoreProviders(
      [observe('p', { latencyMs: 1_000, noise: 0 }, seededRng(1))],
      DEFAULT_REWEIGHT_SETTINGS,
    );
    return (withFailures?.value ?? NaN) - (clean?.value ?? NaN);
  };

  // The mean of successes as the score reads it (the histogram's buckets round 1,000 ms a little).
  const meanMs = histogramMean(failing(undefined).latency) ?? Number.NaN;
  it.each([
    {
      name: 'a failure in a tenth of an answer’s time costs ln(1 + 0.1 × 0.1)',
      failureMs: 0.1 * meanMs,
      expected: Math.log1p(0.01),
    },
    {
      name: 'a failure taking as long as an answer costs ln(1 + 0.1)',
      failureMs: meanMs,
      expected: Math.log1p(0.1),
    },
    {
      name: 'a timeout 30× an answer costs ln(1 + 0.1 × 30), far more',
      failureMs: 30 * meanMs,
      expected: Math.log1p(3),
    },
    {
      name: 'a failure of unknown time (an older sidecar) costs the failure rate, as before',
      failureMs: undefined,
      expected: 0.1,
    },
  ])('$name', ({ failureMs, expected }) => {
    expect(penalty(failureMs)).toBeCloseTo(expected, 6);
  });
});
