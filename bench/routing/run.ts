/**
 * `npm run bench:routing`: every scenario × every router (the seven strategies on the product's own decision code
 * with the real operator loop, their naive textbook versions, and the oracle) in virtual time. Prints a table (or,
 * with --json, a JSON array of {scenario, strategy, successRate, p99Ms, costPer1kUSD}), checks adaptive against its
 * targets, and writes bench/results/routing-latest.json and docs/routing-chart.svg (a --quick run writes
 * bench/results/routing-quick.json only).
 *
 *   npm run bench:routing -- [--quick] [--json] [--seed N] [--scenario NAME] [--no-write]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { routingChart } from './chart.ts';
import { SCENARIO_NAMES, scenario as scenarioSetup, type ScenarioName } from './scenarios.ts';
import { ROUTER_NAMES, simulate, type SimOptions, type SimResult } from './simulate.ts';
import { checkTargets, TARGETS } from './targets.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    scenario: { type: 'string', multiple: true },
    'no-write': { type: 'boolean', default: false },
  },
});

const options: SimOptions = values.quick
  ? { durationMs: 240_000, sidecars: 10, totalRps: 20, seed: Number(values.seed) }
  : { durationMs: 600_000, sidecars: 50, totalRps: 60, seed: Number(values.seed) };

const scenarios = (values.scenario ?? [...SCENARIO_NAMES]).filter((s): s is ScenarioName =>
  (SCENARIO_NAMES as readonly string[]).includes(s),
);

const started = performance.now();
const results: SimResult[] = [];
for (const s of scenarios) {
  for (const router of ROUTER_NAMES) {
    results.push(simulate(s, router, options));
    if (!values.json) process.stderr.write('.');
  }
}
if (!values.json) process.stderr.write('\n');
const seconds = (performance.now() - started) / 1000;
const checks = checkTargets(results);

const rows = results.map(({ scenario, strategy, successRate, p99Ms, costPer1kUSD }) => ({
  scenario,
  strategy,
  successRate: Math.round(successRate * 1e6) / 1e6,
  p99Ms: Math.round(p99Ms),
  costPer1kUSD: Math.round(costPer1kUSD * 1e4) / 1e4,
}));

if (values.json) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out = [
    line(['scenario', 'strategy', 'success', 'p99 ms', 'USD / 1k']),
    line(['---', '---', '---:', '---:', '---:']),
    ...rows.map((r) =>
      line([
        r.scenario,
        r.strategy === 'adaptive' ? '**adaptive**' : r.strategy,
        `${(r.successRate * 100).toFixed(2)} %`,
        String(r.p99Ms),
        r.costPer1kUSD.toFixed(3),
      ]),
    ),
    '',
    `adaptive against its targets (≥ ${TARGETS.successVsOracle * 100} % of the oracle's success, ≤ ${TARGETS.p99VsOracle}× its p99 and cost, ≥ the best naive success):`,
    line(['scenario', 'success / oracle', 'p99 / oracle', 'cost / oracle', 'best naive', 'misses']),
    line(['---', '---:', '---:', '---:', '---', '---']),
    ...checks.map((c) =>
      line([
        c.scenario,
        `${(c.successVsOracle * 100).toFixed(2)} %`,
        `${c.p99VsOracle.toFixed(2)}×`,
        `${c.costVsOracle.toFixed(2)}×`,
        `${c.bestNaive.strategy} ${(c.bestNaive.successRate * 100).toFixed(2)} %`,
        c.misses.join('; ') || 'none',
      ]),
    ),
    '',
    `${results.length} runs in ${seconds.toFixed(1)} s (${values.quick ? 'quick' : 'full'}: ${options.sidecars} sidecars, ${options.totalRps} req/s, ${options.durationMs / 1000} s virtual each)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

if (!values['no-write']) {
  const report = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    mode: values.quick ? 'quick' : 'full',
    options,
    wallSeconds: Math.round(seconds * 10) / 10,
    scenarios: scenarios.map((s) => {
      const setup = scenarioSetup(s, options.durationMs, options.totalRps);
      return { name: s, objective: setup.objective, story: setup.story };
    }),
    results: rows,
    adaptiveTargets: { targets: TARGETS, checks },
  };
  const root = new URL('../../', import.meta.url);
  // A quick run is for checking a change; only a full run replaces the published results and chart.
  const name = values.quick ? 'routing-quick.json' : 'routing-latest.json';
  writeFileSync(new URL(`bench/results/${name}`, root), `${JSON.stringify(report, null, 2)}\n`);
  if (!values.quick) writeFileSync(new URL('docs/routing-chart.svg', root), routingChart(results));
}
