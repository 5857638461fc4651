/**
 * Data-plane benchmark: throughput, latency and memory of the Switchboard sidecar against, in the same run,
 * load sent straight at the upstream and through a featureless Node forwarder (and, where they install, Portkey's
 * gateway and LiteLLM's proxy). Each system under test is its own process alone on one core; the load generator
 * and the upstream mock share the other. Writes bench/results/data-plane-<time>.json and data-plane-latest.json
 * and prints a markdown table. Nothing here asserts on timings.
 *
 *   node bench/data-plane/run.ts [--duration S] [--connections N] [--rate R] [--cases a,b] [--modes chat,stream]
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { buildSidecarBundle } from '../../scripts/build/build-sidecar.ts';
import { caseById, startUpstream, type CaseContext } from './cases.ts';
import { measureFootprint } from './footprint.ts';
import { renderChart, renderFootprint, renderHeadline } from './headline.ts';
import { progress, runCase } from './measure.ts';
import { notesFor } from './notes.ts';
import { parseOptions } from './options.ts';
import {
  ensurePeer,
  isPeerId,
  LITELLM_REQUIREMENT,
  litellmPython,
  PORTKEY_PACKAGE,
  type PeerInstall,
} from './peers.ts';
import { ProcessGroup } from './process-group.ts';
import { renderMarkdown } from './report.ts';
import { combineRounds, compare, RESULTS_SCHEMA, type CaseResult, type RunResults } from './results.ts';

const BENCH_DIR = resolve(import.meta.dirname, '..');
const REPO_DIR = resolve(BENCH_DIR, '..');

function quiet(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function environment(peersDir: string): Promise<Record<string, string | number>> {
  const autocannon = JSON.parse(
    await readFile(join(REPO_DIR, 'node_modules', 'autocannon', 'package.json'), 'utf8'),
  ) as { version: string };
  return {
    node: process.version,
    kernel: release(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    commit: quiet('git', ['-C', REPO_DIR, 'rev-parse', '--short', 'HEAD']),
    // The sidecar measured is the working tree as it was, which may differ from the commit.
    uncommittedFiles: quiet('git', [
      '--no-optional-locks',
      '-C',
      REPO_DIR,
      'status',
      '--porcelain',
      '--',
      'sidecar',
      'api',
    ])
      .split('\n')
      .filter((line) => line.trim() !== '' && line !== 'unknown').length,
    autocannon: autocannon.version,
    portkey: PORTKEY_PACKAGE,
    litellmRequirement: LITELLM_REQUIREMENT,
    litellm: quiet(litellmPython(peersDir), [
      '-c',
      'import importlib.metadata as m; print(m.version("litellm"))',
    ]),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) return;
  const { settings } = options;
  // The runner itself (progress, /proc reads) stays off the system-under-test core too.
  execFileSync('taskset', ['-a', '-p', '-c', String(settings.cores.load), String(process.pid)], {
    stdio: 'ignore',
  });
  const startedAt = new Date();
  const peersDir = join(BENCH_DIR, '.peers');
  const workDir = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  // Also on the way out through SIGINT/SIGTERM, where the process group exits before `finally` runs.
  const removeWorkDir = (): void => rmSync(workDir, { recursive: true, force: true });
  process.once('exit', removeWorkDir);
  const group = new ProcessGroup({ nice: settings.nice });
  const context: CaseContext = { group, cores: settings.cores, workDir, peersDir };
  const peers: Record<string, PeerInstall> = {};
  const unavailable = new Map<string, CaseResult>();
  let measuredEnvironment: Record<string, string | number> = {};
  const rounds: CaseResult[][] = [];
  let footprint: RunResults['footprint'];
  try {
    // The sidecar runs as deployed: the prebuilt bundle, built from this working tree now.
    const bundle = await buildSidecarBundle();
    progress(`sidecar bundle: ${(bundle.bytes / 1024).toFixed(0)} KiB from ${bundle.inputs} files`);
    if (options.startupRounds > 0) {
      const upstream = await startUpstream(context, 1, settings.cores.load);
      footprint = await measureFootprint(context, upstream, {
        rounds: options.startupRounds,
        idleS: options.idleS,
      });
      await group.stopAll();
    }
    for (const id of settings.cases.filter(isPeerId)) {
      progress(`${id}: checking install`);
      const install = await ensurePeer(id, peersDir, options.install);
      peers[id] = install;
      if (install.ok) continue;
      progress(`${id}: unavailable: ${install.detail}`);
      const { description } = caseById(id);
      unavailable.set(id, { id, description, status: 'unavailable', reason: install.detail, modes: {} });
    }
    measuredEnvironment = await environment(peersDir);
    // Rounds interleave the cases, so that slow drifts in other work on the machine touch every case alike.
    for (let round = 1; round <= settings.repeat; round += 1) {
      progress(`round ${round} of ${settings.repeat}`);
      const results: CaseResult[] = [];
      for (const id of settings.cases) {
        results.push(unavailable.get(id) ?? (await runCase(caseById(id), context, settings)));
      }
      rounds.push(results);
    }
  } finally {
    await group.close();
    removeWorkDir();
    process.off('exit', removeWorkDir);
  }

  const cases = settings.cases.map((id, i) =>
    combineRounds(
      rounds.map((r) => r[i] as CaseResult),
      settings.modes,
    ),
  );
  const run: RunResults = {
    schema: RESULTS_SCHEMA,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `node bench/data-plane/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    settings,
    environment: measuredEnvironment,
    peers,
    cases,
    rounds,
    comparisons: compare(cases, settings.modes),
    ...(footprint === undefined ? {} : { footprint }),
    notes: notesFor(cases, settings),
  };
  await mkdir(options.outDir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const json = JSON.stringify(run, null, 2) + '\n';
  const dated = join(options.outDir, `data-plane-${options.quick ? 'quick-' : ''}${stamp}.json`);
  const headline = renderHeadline(run) + '\n' + renderFootprint(run);
  await writeFile(dated, json);
  // The published chart only from a run that publishes (results in bench/results); elsewhere next to the results.
  const chart =
    resolve(options.outDir) === join(BENCH_DIR, 'results')
      ? join(REPO_DIR, 'docs', 'benchmarks-data-plane.svg')
      : join(options.outDir, 'benchmarks-data-plane.svg');
  if (!options.quick) {
    await writeFile(join(options.outDir, 'data-plane-latest.json'), json);
    await writeFile(join(options.outDir, 'headline.md'), headline);
    await writeFile(chart, renderChart(run));
  }
  process.stdout.write(renderMarkdown(run) + '\n' + headline);
  progress(
    options.quick
      ? `results: ${dated} (--quick leaves data-plane-latest.json, headline.md and the chart as they were)`
      : `results: ${dated}, data-plane-latest.json, headline.md; chart: ${chart.startsWith(REPO_DIR) ? relative(REPO_DIR, chart) : chart}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`data-plane benchmark: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
