/**
 * Cluster-wide adaptive reweighting, one round per reporting window (pure: facts and a time in, weights out).
 *
 *   merged reports ──► score per provider ──► target shares: softmax(w · e^(−score / temperature))
 *                                                   │ held unless it moved by more than the deadband (hysteresis)
 *   previous shares ──► move toward the held target: a fraction (smoothing) of the gap, at most maxStep
 *                       ──► floor for every healthy provider ──► shares (sum 1)
 *
 * Holding the target, rather than refusing small moves of the share, filters measurement noise and still lets
 * the shares converge exactly onto the target.
 *
 * - A provider whose breakers are open on every sidecar (down) drops to 0 at once: that is a fact, not noise.
 *   When it comes back it slow-starts (as Envoy's slow-start mode does): its target is scaled by a linear ramp
 *   over `slowStartMs`, starting from the floor.
 * - A provider with weight 0 in the spec drains at once. A score resting on few attempts is blended with the
 *   provider's previous score (a provider pushed down to the floor gets few requests: trusting a handful of them,
 *   or forgetting its score, would send it straight back up, and the pool would oscillate). A provider with no
 *   attempts keeps its last score for `scoreMemoryMs`; after that, or if it was never measured, it gets a neutral
 *   score (the median of the others), so it is explored rather than starved.
 * - When every provider is down or drained the result falls back to the spec's weights (`panic`): the sidecars'
 *   breakers and the least-bad rule decide then, as no cluster-wide ranking is worth more than that.
 *
 * Effective weights are shares × the sum of spec weights, so a pool of equal providers shows its spec weights.
 */
import { priceScores, scoreProviders, type ProviderWindow, type ScoreSettings } from './provider-score.ts';

export interface ReweightSettings extends ScoreSettings {
  /** Greediness: lower sends more traffic to the best provider. In score units (log ratios). */
  readonly temperature: number;
  /** Fraction of the gap to the target closed per round (exponential smoothing). */
  readonly smoothing: number;
  /** Largest change of one provider's share in one round. */
  readonly maxStep: number;
  /**
   * Hysteresis: a provider's target share is kept until the new one differs from it by more than this at an even
   * split. The band scales with 4p(1 − p) for a held share p, as a score's noise moves a softmax share by about
   * p(1 − p) × Δscore / temperature: a share near the floor is not held at several times its target.
   */
  readonly deadband: number;
  /** Smallest share of a healthy provider with spec weight > 0, so it keeps being measured. */
  readonly floor: number;
  /** How long a provider that came back takes to reach its full share. */
  readonly slowStartMs: number;
  /** How long the last score of a provider stands in while it has too few attempts to be measured. */
  readonly scoreMemoryMs: number;
  /**
   * How many standard errors a measured difference must span to count in full: a score's distance d from the
   * pool's median is scaled by d² / (d² + (noiseMargin × its standard error)²), so a difference the measurement
   * cannot tell from noise barely moves the shares while a clear one counts whole. This is what lets the
   * softmax be greedy (a low temperature) without chasing noise.
   */
  readonly noiseMargin: number;
}

export const DEFAULT_REWEIGHT_SETTINGS: ReweightSettings = {
  objective: 'latency',
  minSamples: 10,
  failurePenalty: 1,
  rateLimitPenalty: 2,
  temperature: 0.1,
  smoothing: 0.5,
  maxStep: 0.1,
  deadband: 0.05,
  floor: 0.01,
  slowStartMs: 30_000,
  scoreMemoryMs: 60_000,
  noiseMargin: 2,
};

export interface ProviderWeight {
  /** This provider's share of the pool's traffic, 0..1; the shares of a pool sum to 1. */
  readonly share: number;
  /** share × the sum of the spec's weights: what status shows and sidecars use as the weight. */
  readonly effectiveWeight: number;
  /** The share this provider is moving toward (held within the deadband). */
  readonly target: number;
  /** The provider's last measured score and when it was measured; absent before the first measurement. */
  readonly score?: { readonly value: number; readonly at: number };
  /** Since when the provider ramps up after being down; absent when it is not ramping. */
  readonly rampingSince?: number;
  readonly down: boolean;
}

export interface ReweightResult {
  readonly weights: ReadonlyMap<string, ProviderWeight>;
  /** Every provider is down or drained: the spec's weights apply. */
  readonly panic: boolean;
}

/**
 * How far a new target may stray from the held share `held` and still be ignored: `deadband` at an even split,
 * narrower toward 0 and 1 in proportion to how much a change of score moves a softmax share there (p(1 − p)).
 * With an absolute band a provider demoted to the 1 % floor could be held at 5 % or more.
 */
export function holdBand(held: number, deadband: number): number {
  const p = Math.min(1, Math.max(0, held));
  return deadband * 4 * p * (1 - p);
}

/** A gap this small is closed at once, so shares land exactly on their target instead of creeping. */
const SNAP = 0.002;

const sum = (xs: Iterable<number>): number => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};

function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function proportional(providers: readonly ProviderWindow[]): Map<string, number> {
  const total = sum(providers.map((p) => p.configuredWeight));
  return new Map(providers.map((p) => [p.name, total > 0 ? p.configuredWeight / total : 0]));
}

/**
 * Each provider's score this round. With at least `minSamples` attempts, the measurement; with fewer, a blend of
 * the measurement and the previous score (or the pool's median) weighted by the attempts, as a prior would be;
 * with none, the previous score while it is younger than `scoreMemoryMs`; else unknown (explored).
 */
function currentScores(
  providers: readonly ProviderWindow[],
  previous: ReadonlyMap<string, ProviderWeight>,
  now: number,
  settings: ReweightSettings,
): Map<string, { value: number; at: number } | undefined> {
  const measured = scoreProviders(providers, settings);
  const remembered = (name: string) => {
    const kept = previous.get(name)?.score;
    return kept !== undefined && now - kept.at < settings.scoreMemoryMs ? kept : undefined;
  };
  const solid = measured
    .filter((m) => m !== undefined && m.samples >= settings.minSamples)
    .map((m) => m?.value ?? 0);
  const neutral = median([
    ...solid,
    ...providers.map((p) => remembered(p.name)?.value).filter((v) => v !== undefined),
  ]);
  const center = median(solid);
  return new Map(
    providers.map((p, i) => {
      const m = measured[i];
      const kept = remembered(p.name);
      if (m === undefined) return [p.name, kept];
      if (m.samples >= settings.minSamples)
        return [p.name, { value: shrunk(m.value, m.error, center, settings.noiseMargin), at: now }];
      const prior = kept?.value ?? neutral;
      const w = m.samples / settings.minSamples;
      return [p.name, { value: w * m.value + (1 - w) * prior, at: now }];
    }),
  );
}

/** `value` pulled toward `center` as far as its distance is within the noise (see `noiseMargin`). */
function shrunk(value: number, error: number, center: number, margin: number): number {
  const d = value - center;
  const noise = (margin * error) ** 2;
  return noise === 0 ? value : center + (d * d * d) / (d * d + noise);
}

/** Where shares are heading this round: softmax of scores, weighted by the spec, slow start applied. */
function targetShares(
  providers: readonly ProviderWindow[],
  scores: ReadonlyMap<string, { value: number } | undefined>,
  ramps: ReadonlyMap<string, number>,
  settings: ReweightSettings,
): Map<string, number> {
  const known = [...scores.values()].filter((s) => s !== undefined).map((s) => s.value);
  const neutral = median(known);
  const raw = providers.map((p) => {
    if (p.down || p.configuredWeight <= 0) return 0;
    const score = scores.get(p.name)?.value ?? neutral;
    return p.configuredWeight * Math.exp(-score / settings.temperature);
  });
  const total = sum(raw);
  return new Map(
    providers.map((p, i) => {
      const share = total > 0 ? (raw[i] ?? 0) / total : 0;
      return [p.name, share * (ramps.get(p.name) ?? 1)];
    }),
  );
}

/**
 * Where the shares start before anything is measured: the spec's weights tilted by what is known without traffic,
 * the prices, as far as the objective counts them (latency neutral), floored. A `cost` pool whose expensive provider
 * costs ten times the cheap one starts with that provider at the floor instead of at an even split it would take
 * many rounds of bounded steps to leave; a `latency` pool starts at its spec's proportions, as before.
 */
export function priorShares(
  providers: readonly ProviderWindow[],
  settings: Pick<ReweightSettings, 'objective' | 'temperature' | 'floor'>,
): Map<string, number> {
  const costs = priceScores(providers, settings.objective);
  const eligible = new Set(providers.filter((p) => !p.down && p.configuredWeight > 0).map((p) => p.name));
  const raw = providers.map((p, i) =>
    eligible.has(p.name) ? p.configuredWeight * Math.exp(-(costs[i] ?? 0) / settings.temperature) : 0,
  );
  const total = sum(raw);
  if (total <= 0) return proportional(providers);
  const shares = new Map(providers.map((p, i) => [p.name, (raw[i] ?? 0) / total]));
  applyFloor(shares, eligible, settings.floor);
  return shares;
}

/** Raises every eligible share to the floor and scales the others so the shares sum to 1. */
function applyFloor(shares: Map<string, number>, eligible: ReadonlySet<string>, floor: number): void {
  const floored = new Set<string>();
  // Each pass may push another share under the floor; at most one pass per provider.
  for (let pass = 0; pass <= shares.size; pass++) {
    const free = [...shares.keys()].filter((n) => !floored.has(n));
    const freeTotal = sum(free.map((n) => shares.get(n) ?? 0));
    const room = 1 - floor * floored.size;
    for (const n of free) shares.set(n, freeTotal > 0 ? ((shares.get(n) ?? 0) * room) / freeTotal : 0);
    const under = free.filter((n) => eligible.has(n) && (shares.get(n) ?? 0) < floor);
    if (under.length === 0) return;
    for (const n of under) {
      floored.add(n);
      shares.set(n, floor);
    }
  }
}

export function reweight(
  previous: ReadonlyMap<string, ProviderWeight>,
  providers: readonly ProviderWindow[],
  now: number,
  settings: ReweightSettings = DEFAULT_REWEIGHT_SETTINGS,
): ReweightResult {
  const totalWeight = sum(providers.map((p) => p.configuredWeight));
  const eligible = new Set(providers.filter((p) => !p.down && p.configuredWeight > 0).map((p) => p.name));
  if (eligible.size === 0) {
    const shares = proportional(providers);
    const weights = new Map(
      providers.map((p) => {
        const share = shares.get(p.name) ?? 0;
        return [
          p.name,
          { share, target: share, effectiveWeight: share * totalWeight, down: p.down },
        ] as const;
      }),
    );
    return { weights, panic: true };
  }

  // Slow start: a provider that was down (or is new to a pool that already runs) ramps up from the floor.
  const rampingSince = new Map<string, number>();
  const ramps = new Map<string, number>();
  for (const p of providers) {
    const before = previous.get(p.name);
    const since =
      before === undefined
        ? previous.size > 0
          ? now
          : undefined
        : before.down && !p.down
          ? now
          : before.rampingSince;
    if (since === undefined || p.down) continue;
    const ramp = (now - since) / settings.slowStartMs;
    if (ramp >= 1) continue;
    rampingSince.set(p.name, since);
    ramps.set(p.name, Math.max(ramp, settings.floor));
  }

  const scores = currentScores(providers, previous, now, settings);
  const fresh = targetShares(providers, scores, ramps, settings);
  const initial = priorShares(providers, settings);
  const targets = new Map<string, number>();
  const shares = new Map<string, number>();
  for (const p of providers) {
    const before = previous.get(p.name);
    if (!eligible.has(p.name)) {
      targets.set(p.name, 0);
      shares.set(p.name, 0); // down or drained: at once
      continue;
    }
    const computed = fresh.get(p.name) ?? 0;
    const held = before === undefined || before.down ? undefined : before.target;
    // A ramping provider's target follows its ramp; otherwise it moves only past the deadband.
    const goal =
      held === undefined || ramps.has(p.name) || Math.abs(computed - held) > holdBand(held, settings.deadband)
        ? computed
        : held;
    targets.set(p.name, goal);
    const from = before === undefined ? (initial.get(p.name) ?? 0) : before.down ? 0 : before.share;
    const gap = goal - from;
    const step = Math.max(-settings.maxStep, Math.min(settings.maxStep, settings.smoothing * gap));
    shares.set(p.name, Math.abs(gap) < SNAP ? goal : from + step);
  }
  applyFloor(shares, eligible, settings.floor);

  const weights = new Map<string, ProviderWeight>();
  for (const p of providers) {
    const share = shares.get(p.name) ?? 0;
    const since = rampingSince.get(p.name);
    const score = scores.get(p.name);
    weights.set(p.name, {
      ...(score === undefined ? {} : { score }),
      share,
      target: targets.get(p.name) ?? 0,
      effectiveWeight: share * totalWeight,
      down: p.down,
      ...(since === undefined ? {} : { rampingSince: since }),
    });
  }
  return { weights, panic: false };
}
