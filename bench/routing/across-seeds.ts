/**
 * A routing run repeated with several seeds, summed up so a target met on one seed is not taken for luck: per
 * (scenario, strategy) the median of each metric across seeds and its worst case (lowest success, highest p99 and
 * cost); per scenario adaptive's ratios to the oracle, median and worst, and every miss on any seed.
 */
import type { TargetCheck } from './targets.ts';
import type { SimResult } from './simulate.ts';

export interface SeededResult extends SimResult {
  /** Worst case across seeds: the lowest success rate, the highest p99 and cost. */
  readonly worst: { readonly successRate: number; readonly p99Ms: number; readonly costPer1kUSD: number };
}

export interface SeededCheck {
  readonly scenario: string;
  readonly median: Pick<TargetCheck, 'successVsOracle' | 'p99VsOracle' | 'costVsOracle'>;
  readonly worst: Pick<TargetCheck, 'successVsOracle' | 'p99VsOracle' | 'costVsOracle'>;
  /** Seeds on which adaptive missed a target, with what it missed. */
  readonly misses: readonly { readonly seed: number; readonly misses: readonly string[] }[];
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/** `runs[i]` is seed i's results, in the same (scenario, strategy) order for every seed. */
export function acrossSeeds(runs: readonly (readonly SimResult[])[]): SeededResult[] {
  const first = runs[0] ?? [];
  return first.map((r, i) => {
    const same = runs.map((seed) => seed[i]).filter((x): x is SimResult => x !== undefined);
    const of = (f: (x: SimResult) => number) => same.map(f);
    return {
      scenario: r.scenario,
      strategy: r.strategy,
      requests: median(of((x) => x.requests)),
      successRate: median(of((x) => x.successRate)),
      p99Ms: median(of((x) => x.p99Ms)),
      costPer1kUSD: median(of((x) => x.costPer1kUSD)),
      worst: {
        successRate: Math.min(...of((x) => x.successRate)),
        p99Ms: Math.max(...of((x) => x.p99Ms)),
        costPer1kUSD: Math.max(...of((x) => x.costPer1kUSD)),
      },
    };
  });
}

/** `checks[i]` is seed `seeds[i]`'s target checks. */
export function checksAcrossSeeds(
  seeds: readonly number[],
  checks: readonly (readonly TargetCheck[])[],
): SeededCheck[] {
  const scenarios = (checks[0] ?? []).map((c) => c.scenario);
  return scenarios.map((scenario) => {
    const per = checks.map((seed) => seed.find((c) => c.scenario === scenario));
    const got = per.filter((c): c is TargetCheck => c !== undefined);
    const of = (f: (c: TargetCheck) => number) => got.map(f);
    return {
      scenario,
      median: {
        successVsOracle: median(of((c) => c.successVsOracle)),
        p99VsOracle: median(of((c) => c.p99VsOracle)),
        costVsOracle: median(of((c) => c.costVsOracle)),
      },
      worst: {
        successVsOracle: Math.min(...of((c) => c.successVsOracle)),
        p99VsOracle: Math.max(...of((c) => c.p99VsOracle)),
        costVsOracle: Math.max(...of((c) => c.costVsOracle)),
      },
      misses: per.flatMap((c, i) =>
        c === undefined || c.misses.length === 0 ? [] : [{ seed: seeds[i] ?? NaN, misses: c.misses }],
      ),
    };
  });
}
