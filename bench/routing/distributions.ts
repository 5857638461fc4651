/** Random draws the simulator needs, from an injected uniform source (core/clock.ts `Rng`). */
import type { Rng } from '../../core/clock.ts';

/** A standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  const u = Math.max(rng(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A log-normal draw with the given median and shape σ: median × e^(σ·N(0,1)). */
export function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

/** Time to the next arrival of a Poisson process of `perSecond` events per second, in ms. */
export function exponentialGapMs(rng: Rng, perSecond: number): number {
  return (-Math.log(Math.max(1 - rng(), Number.MIN_VALUE)) / perSecond) * 1000;
}

/** A whole number uniform in [min, max]. */
export function uniformInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** The p-quantile (0 < p ≤ 1) of ascending `sorted` by nearest rank; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}
