/**
 * `npm run bench:routing`: every scenario × every router (the seven strategies on the product's own decision code
 * with the real operator loop, their naive textbook versions, and the oracle) in virtual time. Prints a table (or,
 * with --json, a JSON array of {scenario, strategy, successRate, p99Ms, costPer1kUSD}), checks adaptive against its
 * targets, and writes bench/results/routing-latest.json and docs/routing-chart.svg (a --quick run writes
 * bench/results/routing-quick.json only).
 *
 * With several seeds (`--seeds 3` for seeds 1..3, or `--seeds 1,7,42`) every run is repeated per seed; the table,
 * the JSON rows and the chart give each metric's median across seeds, the rows also its worst case, and the
 * targets are checked on every seed (median and worst ratios, and any seed's miss).
 *
 *   npm run bench:routing -- [--quick] [--json] [--seed N | --seeds N|LIST] [--scenario NAME] [--no-write]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { acrossSeeds, checksAcrossSeeds } from './across-seeds.ts';
import { routingChart } from './chart.ts';
import { SCENARIO_NAMES, scenario as scenarioSetup, type ScenarioName } from './scenarios.ts';
import { ROUTER_NAMES, simulate, type SimOptions, type SimResult } from './simulate.ts';
import { checkTargets, TARGETS } from './targets.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    seeds: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    'no-write': { type: 'boolean', default: false },
  },
});

/** `--seeds 3` is seeds 1, 2, 3; `--seeds 1,7,42` those seeds; without it the one `--seed`. */
function seedList(seeds: string | undefined, seed: string): number[] {
  if (seeds === undefined) return [Number(seed)];
  const list = seeds.includes(',')
    ? seeds.split(',').map(Number)
    : Array.from({ length: Number(seeds) }, (_, i) => i + 1);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n)))
    throw new Error(`--seeds: not a count or a list: ${seeds}`);
  return list;
}
const seeds = seedList(values.seeds, values.seed);

const base = values.quick
  ? { durationMs: 240_000, sidecars: 10, totalRps: 20 }
  : { durationMs: 600_000, sidecars: 50, totalRps: 60 };
const options: SimOptions = { ...base, seed: seeds[0] ?? 1 };

const scenarios = (values.scenario ?? [...SCENARIO_NAMES]).filter((s): s is ScenarioName =>
  (SCENARIO_NAMES as readonly string[]).includes(s),
);

const started = performance.now();
const runs: SimResult[][] = seeds.map((seed) => {
  const results: SimResult[] = [];
  for (const s of scenarios) {
    for (const router of ROUTER_NAMES) {
      results.push(simulate(s, router, { ...options, seed }));
      if (!values.json) process.stderr.write('.');
    }
  }
  return results;
});
if (!values.json) process.stderr.write('\n');
const seconds = (performance.now() - started) / 1000;
const results = acrossSeeds(runs);
const seeded = checksAcrossSeeds(seeds, runs.map(checkTargets));
const several = seeds.length > 1;
// With one seed, the checks as they always were; with several, the median ratios, and misses from any seed.
const checks = several
  ? checkTargets(results).map((c) => {
      const s = seeded.find((x) => x.scenario === c.scenario);
      const misses = (s?.misses ?? []).flatMap((m) => m.misses.map((x) => `seed ${m.seed}: ${x}`));
      return { ...c, ...(s?.median ?? {}), misses };
    })
  : checkTargets(results);

const rows = results.map(({ scenario, strategy, successRate, p99Ms, costPer1kUSD, worst }) => ({
  scenario,
  strategy,
  successRate: Math.round(successRate * 1e6) / 1e6,
  p99Ms: Math.round(p99Ms),
  costPer1kUSD: Math.round(costPer1kUSD * 1e4) / 1e4,
  ...(several
    ? {
        worst: {
          successRate: Math.round(worst.successRate * 1e6) / 1e6,
          p99Ms: Math.round(worst.p99Ms),
          costPer1kUSD: Math.round(worst.costPer1kUSD * 1e4) / 1e4,
        },
      }
    : {}),
}));
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

if (values.json) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  // With several seeds each cell is "median (worst)".
  const cell = (m: string, w: string) => (several ? `${m} (${w})` : m);
  const out = [
    line(['scenario', 'strategy', 'success', 'p99 ms', 'USD / 1k']),
    line(['---', '---', '---:', '---:', '---:']),
    ...rows.map((r) =>
      line([
        r.scenario,
        r.strategy === 'adaptive' ? '**adaptive**' : r.strategy,
        cell(pct(r.successRate), pct(r.worst?.successRate ?? r.successRate)),
        cell(String(r.p99Ms), String(r.worst?.p99Ms ?? r.p99Ms)),
        cell(r.costPer1kUSD.toFixed(3), (r.worst?.costPer1kUSD ?? r.costPer1kUSD).toFixed(3)),
      ]),
    ),
    '',
    `adaptive against its targets (≥ ${TARGETS.successVsOracle * 100} % of the oracle's success, ≤ ${TARGETS.p99VsOracle}× its p99 and cost, ≥ the best naive success)${several ? `, median (worst) over seeds ${seeds.join(', ')}` : ''}:`,
    line(['scenario', 'success / oracle', 'p99 / oracle', 'cost / oracle', 'best naive', 'misses']),
    line(['---', '---:', '---:', '---:', '---', '---']),
    ...checks.map((c) => {
      const w = seeded.find((x) => x.scenario === c.scenario)?.worst;
      return line([
        c.scenario,
        cell(pct(c.successVsOracle), pct(w?.successVsOracle ?? c.successVsOracle)),
        cell(`${c.p99VsOracle.toFixed(2)}×`, `${(w?.p99VsOracle ?? c.p99VsOracle).toFixed(2)}×`),
        cell(`${c.costVsOracle.toFixed(2)}×`, `${(w?.costVsOracle ?? c.costVsOracle).toFixed(2)}×`),
        `${c.bestNaive.strategy} ${pct(c.bestNaive.successRate)}`,
        c.misses.join('; ') || 'none',
      ]);
    }),
    '',
    `${results.length * seeds.length} runs in ${seconds.toFixed(1)} s (${values.quick ? 'quick' : 'full'}: ${options.sidecars} sidecars, ${options.totalRps} req/s, ${options.durationMs / 1000} s virtual each; seeds ${seeds.join(', ')})`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

if (!values['no-write']) {
  const report = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    mode: values.quick ? 'quick' : 'full',
    options: { ...base, seeds },
    wallSeconds: Math.round(seconds * 10) / 10,
    scenarios: scenarios.map((s) => {
      const setup = scenarioSetup(s, options.durationMs, options.totalRps);
      return { name: s, objective: setup.objective, story: setup.story };
    }),
    results: rows,
    adaptiveTargets: { targets: TARGETS, checks, ...(several ? { acrossSeeds: seeded } : {}) },
  };
  const root = new URL('../../', import.meta.url);
  // A quick run is for checking a change; only a full run replaces the published results and chart.
  const name = values.quick ? 'routing-quick.json' : 'routing-latest.json';
  writeFileSync(new URL(`bench/results/${name}`, root), `${JSON.stringify(report, null, 2)}\n`);
  if (!values.quick) writeFileSync(new URL('docs/routing-chart.svg', root), routingChart(results));
}
