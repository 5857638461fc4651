/**
 * The targets `adaptive` is held to in every scenario (issue 13): at least 99 % of the oracle's success rate, at
 * most 1.15× its p99 latency and its cost, and never a lower success rate than the best naive strategy.
 */
import type { SimResult } from './simulate.ts';

export interface TargetCheck {
  readonly scenario: string;
  readonly successVsOracle: number;
  readonly p99VsOracle: number;
  readonly costVsOracle: number;
  readonly bestNaive: { readonly strategy: string; readonly successRate: number };
  readonly misses: readonly string[];
}

export const TARGETS = { successVsOracle: 0.99, p99VsOracle: 1.15, costVsOracle: 1.15 } as const;

export function checkTargets(results: readonly SimResult[]): TargetCheck[] {
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  return scenarios.flatMap((scenario) => {
    const of = (strategy: string) => results.find((r) => r.scenario === scenario && r.strategy === strategy);
    const adaptive = of('adaptive');
    const oracle = of('oracle');
    if (adaptive === undefined || oracle === undefined) return [];
    const naive = results
      .filter((r) => r.scenario === scenario && r.strategy.startsWith('naive-'))
      .sort((a, b) => b.successRate - a.successRate)[0];
    const check = {
      scenario,
      successVsOracle: adaptive.successRate / oracle.successRate,
      p99VsOracle: adaptive.p99Ms / oracle.p99Ms,
      costVsOracle: adaptive.costPer1kUSD / oracle.costPer1kUSD,
      bestNaive: { strategy: naive?.strategy ?? 'none', successRate: naive?.successRate ?? 0 },
    };
    const misses: string[] = [];
    if (check.successVsOracle < TARGETS.successVsOracle)
      misses.push(`success ${(check.successVsOracle * 100).toFixed(2)} % of the oracle's`);
    if (check.p99VsOracle > TARGETS.p99VsOracle)
      misses.push(`p99 ${check.p99VsOracle.toFixed(2)}× the oracle's`);
    if (check.costVsOracle > TARGETS.costVsOracle)
      misses.push(`cost ${check.costVsOracle.toFixed(2)}× the oracle's`);
    if (naive !== undefined && adaptive.successRate < naive.successRate)
      misses.push(`success below ${naive.strategy}`);
    return [{ ...check, misses }];
  });
}
