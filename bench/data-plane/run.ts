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
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, type BenchCase, type CaseContext, type Cores, type RunningCase } from './cases.ts';
import type { LoadConfig, LoadEvent, LoadPhase, PhaseResult } from './load-generator.ts';
import {
  ensurePeer,
  LITELLM_REQUIREMENT,
  litellmPython,
  PORTKEY_PACKAGE,
  type PeerId,
  type PeerInstall,
} from './peers.ts';
import { CpuMeter, memory } from './proc-stats.ts';
import { ProcessGroup } from './process-group.ts';
import { renderMarkdown } from './report.ts';
import {
  combineRounds,
  compare,
  MODES,
  RESULTS_SCHEMA,
  type CaseResult,
  type Mode,
  type ModeResult,
  type PhaseMeasure,
  type RunResults,
  type Settings,
} from './results.ts';

const HERE = import.meta.dirname;
const BENCH_DIR = resolve(HERE, '..');
const REPO_DIR = resolve(BENCH_DIR, '..');
const PEER_IDS: readonly string[] = ['portkey', 'litellm'] satisfies readonly PeerId[];

const USAGE = `usage: node bench/data-plane/run.ts [options]

  --duration S          seconds of each measured phase (saturation, fixed rate) per case and mode (default 3)
  --warmup S            seconds of unmeasured load before them (default 1)
  --repeat N            rounds over all cases, interleaved; each phase reports its median round (default 3)
  --connections N       concurrent connections at saturation (default 10)
  --rate R              requests/s of the fixed-rate (latency) phase; 0 skips it (default 200)
  --rate-connections N  connections of the fixed-rate phase (default: --connections)
  --cases LIST          comma-separated, from ${CASES.map((c) => c.id).join(', ')} (default: all)
  --modes LIST          chat (non-streaming), stream (default: chat,stream)
  --no-install          do not install missing peer gateways (they are reported unavailable)
  --sut-core C          core of the system under test (default 1)
  --load-core C         core of the load generator and upstream mock (default 0)
  --nice N              niceness of every benchmark process, so other work on a shared machine disturbs less;
                        negative values need root, and without root it is 0 (default -10; 0: leave as is)
  --out DIR             where results go (default bench/results)
`;

const REQUEST_BODY: Record<Mode, string> = {
  chat: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Say hello.' }] }),
  stream: JSON.stringify({
    model: 'chat',
    messages: [{ role: 'user', content: 'Say hello.' }],
    stream: true,
  }),
};

interface Options {
  readonly settings: Settings;
  readonly install: boolean;
  readonly outDir: string;
}

function positive(value: string, flag: string, { allowZero = false, integer = false } = {}): number {
  const n = Number(value);
  const ok = Number.isFinite(n) && (allowZero ? n >= 0 : n > 0) && (!integer || Number.isInteger(n));
  if (!ok)
    throw new Error(
      `${flag} must be a ${integer ? 'whole ' : ''}number > ${allowZero ? '= ' : ''}0: ${value}`,
    );
  return n;
}

function list<T extends string>(value: string, flag: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${flag}: unknown "${item}"; choose from ${allowed.join(', ')}`);
    }
  }
  return items as T[];
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      repeat: { type: 'string', default: '3' },
      connections: { type: 'string', default: '10' },
      rate: { type: 'string', default: '200' },
      'rate-connections': { type: 'string' },
      cases: { type: 'string', default: CASES.map((c) => c.id).join(',') },
      modes: { type: 'string', default: MODES.join(',') },
      'no-install': { type: 'boolean', default: false },
      'sut-core': { type: 'string', default: '1' },
      'load-core': { type: 'string', default: '0' },
      nice: { type: 'string', default: '-10' },
      out: { type: 'string', default: join(BENCH_DIR, 'results') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return undefined;
  }
  const connections = positive(values.connections, '--connections', { integer: true });
  const cores: Cores = {
    sut: positive(values['sut-core'], '--sut-core', { allowZero: true, integer: true }),
    load: positive(values['load-core'], '--load-core', { allowZero: true, integer: true }),
  };
  if (cores.sut === cores.load) throw new Error('--sut-core and --load-core must differ');
  const nice = Number(values.nice);
  if (!Number.isInteger(nice) || nice < -20 || nice > 19)
    throw new Error(`--nice must be -20..19: ${values.nice}`);
  const root = process.getuid?.() === 0;
  return {
    settings: {
      durationS: positive(values.duration, '--duration'),
      warmupS: positive(values.warmup, '--warmup', { allowZero: true }),
      connections,
      rate: positive(values.rate, '--rate', { allowZero: true }),
      rateConnections:
        values['rate-connections'] === undefined
          ? connections
          : positive(values['rate-connections'], '--rate-connections', { integer: true }),
      modes: list(values.modes, '--modes', MODES),
      cases: list(
        values.cases,
        '--cases',
        CASES.map((c) => c.id),
      ),
      cores,
      repeat: positive(values.repeat, '--repeat', { integer: true }),
      nice: nice < 0 && !root ? 0 : nice,
      requestBody: REQUEST_BODY,
    },
    install: !values['no-install'],
    outDir: resolve(values.out),
  };
}

function progress(message: string): void {
  process.stderr.write(`[data-plane] ${message}\n`);
}

/** One real request before any load, so a case that answers wrongly fails loudly instead of measuring errors. */
async function probe(running: RunningCase, mode: Mode): Promise<string | undefined> {
  try {
    const response = await fetch(`${running.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...running.headers },
      body: REQUEST_BODY[mode],
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status !== 200) return `probe answered ${response.status}: ${text.slice(0, 300)}`;
    if (mode === 'stream') {
      return text.includes('data: [DONE]') && text.includes('chat.completion.chunk')
        ? undefined
        : `probe stream is not OpenAI SSE: ${text.slice(0, 300)}`;
    }
    const body: unknown = JSON.parse(text);
    const ok =
      typeof body === 'object' &&
      body !== null &&
      'choices' in body &&
      Array.isArray(body.choices) &&
      body.choices.length > 0;
    return ok ? undefined : `probe reply has no choices: ${text.slice(0, 300)}`;
  } catch (error) {
    return `probe failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function isPhaseResult(value: unknown): value is PhaseResult {
  return typeof value === 'object' && value !== null && 'rps' in value && 'latencyMs' in value;
}

/** Runs the load generator through its phases, metering CPU of every process tree over each phase. */
async function drive(
  group: ProcessGroup,
  settings: Settings,
  running: RunningCase,
  mode: Mode,
): Promise<Map<string, PhaseMeasure>> {
  const phases: LoadPhase[] = [];
  if (settings.warmupS > 0) phases.push({ name: 'warmup', durationS: settings.warmupS, rate: null });
  phases.push({ name: 'saturation', durationS: settings.durationS, rate: null });
  if (settings.rate > 0)
    phases.push({ name: 'fixed-rate', durationS: settings.durationS, rate: settings.rate });
  const config: LoadConfig = {
    url: `${running.baseUrl}/chat/completions`,
    connections: settings.connections,
    body: REQUEST_BODY[mode],
    headers: { 'content-type': 'application/json', ...running.headers },
    phases,
  };
  const generator = group.spawn({
    name: 'load generator',
    core: settings.cores.load,
    command: process.execPath,
    args: [join(HERE, 'load-generator.ts'), `--config=${JSON.stringify(config)}`],
  });
  const roots = new Map<string, number>([
    ['sut', running.sut.pid],
    ['loadGenerator', generator.pid],
  ]);
  if (running.upstream !== running.sut) roots.set('upstream', running.upstream.pid);
  const { sut: sutCore, load: loadCore } = settings.cores;
  const meter = new CpuMeter(roots, [sutCore, loadCore]);
  const measured = new Map<string, PhaseMeasure>();
  try {
    for (const phase of phases) {
      const connectionsNote = phase.rate === null ? settings.connections : settings.rateConnections;
      const timeoutMs = (phase.durationS + 30) * 1000;
      const started = (await generator.nextJson(timeoutMs)) as LoadEvent;
      if (started.event !== 'phase-start' || started.phase !== phase.name) {
        throw new Error(
          `load generator: expected the start of ${phase.name}, got ${JSON.stringify(started)}`,
        );
      }
      meter.start();
      const ended = (await generator.nextJson(timeoutMs)) as LoadEvent;
      const { processes: cpu, cores } = meter.stop();
      if (ended.event !== 'phase-end' || !isPhaseResult(ended.result)) {
        throw new Error(`load generator: expected the result of ${phase.name}, got ${JSON.stringify(ended)}`);
      }
      progress(
        `  ${mode} ${phase.name} (${connectionsNote} conn${phase.rate === null ? '' : `, ${phase.rate} req/s`}): ` +
          `${ended.result.rps.toFixed(0)} req/s, p50 ${ended.result.latencyMs?.p50.toFixed(3) ?? '-'} ms, ` +
          `p99 ${ended.result.latencyMs?.p99.toFixed(3) ?? '-'} ms, CPU SUT ${(cpu.sut ?? 0).toFixed(0)}% ` +
          `load gen ${(cpu.loadGenerator ?? 0).toFixed(0)}% upstream ${(cpu.upstream ?? 0).toFixed(0)}%, ` +
          `cores ${sutCore}/${loadCore} busy ${(cores[sutCore] ?? 0).toFixed(0)}%/${(cores[loadCore] ?? 0).toFixed(0)}%`,
      );
      const sut = cpu.sut ?? 0;
      const loadGenerator = cpu.loadGenerator ?? 0;
      const upstream = cpu.upstream ?? null;
      measured.set(phase.name, {
        ...ended.result,
        cpuPercent: { sut, upstream, loadGenerator },
        otherCpuPercent: {
          sutCore: Math.max(0, (cores[sutCore] ?? 0) - sut),
          loadCore: Math.max(0, (cores[loadCore] ?? 0) - loadGenerator - (upstream ?? 0)),
        },
      });
    }
  } finally {
    await group.stop(generator);
  }
  return measured;
}

async function measureMode(
  group: ProcessGroup,
  settings: Settings,
  running: RunningCase,
  mode: Mode,
): Promise<ModeResult> {
  const problem = await probe(running, mode);
  if (problem !== undefined) {
    const said = running.sut.complaint;
    return { status: 'failed', reason: said === '' ? problem : `${problem}; its stderr: ${said}` };
  }
  try {
    const phases = await drive(group, settings, running, mode);
    const after = memory(running.sut.pid);
    const saturation = phases.get('saturation');
    const fixedRate = phases.get('fixed-rate');
    return {
      status: saturation !== undefined && saturation.ok > 0 ? 'ok' : 'failed',
      ...(saturation !== undefined && saturation.ok > 0 ? {} : { reason: 'no successful answer under load' }),
      ...(saturation === undefined ? {} : { saturation }),
      ...(fixedRate === undefined ? {} : { fixedRate }),
      rssAfterMiB: after.rssMiB,
      peakRssMiB: after.peakRssMiB,
    };
  } catch (error) {
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}

async function runCase(benchCase: BenchCase, context: CaseContext, settings: Settings): Promise<CaseResult> {
  progress(`${benchCase.id}: starting`);
  const base = { id: benchCase.id, description: benchCase.description };
  let running: RunningCase | undefined;
  try {
    running = await benchCase.start(context);
    // Settle once: first requests compile code paths; then read memory before any load.
    await probe(running, 'chat');
    const idleRssMiB = memory(running.sut.pid).rssMiB;
    const modes: Partial<Record<Mode, ModeResult>> = {};
    for (const mode of settings.modes) {
      modes[mode] = await measureMode(context.group, settings, running, mode);
      if (modes[mode]?.status === 'failed') progress(`  ${mode} failed: ${modes[mode]?.reason ?? ''}`);
    }
    return { ...base, status: 'ok', idleRssMiB, modes };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    progress(`${benchCase.id}: failed: ${reason}`);
    return { ...base, status: 'failed', reason, modes: {} };
  } finally {
    await context.group.stopAll();
  }
}

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

function notesFor(cases: readonly CaseResult[], settings: Settings): string[] {
  const notes: string[] = [];
  for (const c of cases) {
    if (c.status !== 'ok') notes.push(`${c.id}: ${c.status}: ${c.reason ?? ''}`);
    for (const mode of settings.modes) {
      const result = c.modes[mode];
      if (!result) continue;
      if (result.status !== 'ok') {
        notes.push(`${c.id} ${mode}: failed: ${result.reason ?? ''}`);
        continue;
      }
      const s = result.saturation;
      if (s) {
        const loadCore = s.cpuPercent.loadGenerator + (s.cpuPercent.upstream ?? 0);
        if (loadCore > 90 && s.cpuPercent.sut < 90) {
          notes.push(
            `${c.id} ${mode}: the load core was busy (${loadCore.toFixed(0)}%) while the system under test used ` +
              `${s.cpuPercent.sut.toFixed(0)}% of its core, so its saturation throughput is a lower bound.`,
          );
        }
      }
      if (s && s.otherCpuPercent.sutCore > 10) {
        notes.push(
          `${c.id} ${mode}: other work used ${s.otherCpuPercent.sutCore.toFixed(0)}% of the system-under-test ` +
            'core during the reported saturation phase; its throughput is understated.',
        );
      }
      if (result.okRounds !== undefined && c.rounds !== undefined && result.okRounds < c.rounds) {
        notes.push(`${c.id} ${mode}: measured in ${result.okRounds} of ${c.rounds} rounds.`);
      }
      const r = result.fixedRate;
      if (r && r.rps < settings.rate * 0.95) {
        notes.push(
          `${c.id} ${mode}: did not keep up with ${settings.rate} req/s (${r.rps.toFixed(0)} req/s).`,
        );
      }
    }
  }
  const atRate = cases.flatMap((c) =>
    settings.modes.flatMap((m) => {
      const other = c.modes[m]?.fixedRate?.otherCpuPercent.sutCore;
      return other === undefined ? [] : [other];
    }),
  );
  if (atRate.length > 0 && Math.max(...atRate) > 10) {
    notes.push(
      `During the fixed-rate phases other work filled up to ${Math.max(...atRate).toFixed(0)}% of the ` +
        'system-under-test core (idle time at that load); the benchmark processes ran ahead of it by niceness, ' +
        'but its cache and scheduling noise shows mostly in the p99 columns.',
    );
  }
  notes.push(
    'Latency at the fixed rate is as seen by autocannon (no coordinated-omission correction); at saturation it is ' +
      'mostly queueing (connections ÷ throughput), so the fixed-rate columns are the per-request overhead.',
  );
  return notes;
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
  const group = new ProcessGroup({ nice: settings.nice });
  const context: CaseContext = { group, cores: settings.cores, workDir, peersDir };
  const peers: Record<string, PeerInstall> = {};
  const unavailable = new Map<string, CaseResult>();
  let measuredEnvironment: Record<string, string | number> = {};
  const rounds: CaseResult[][] = [];
  try {
    for (const id of settings.cases.filter((c) => PEER_IDS.includes(c))) {
      progress(`${id}: checking install`);
      const install = await ensurePeer(id as PeerId, peersDir, options.install);
      peers[id] = install;
      if (install.ok) continue;
      progress(`${id}: unavailable: ${install.detail}`);
      const description = CASES.find((c) => c.id === id)?.description ?? id;
      unavailable.set(id, { id, description, status: 'unavailable', reason: install.detail, modes: {} });
    }
    measuredEnvironment = await environment(peersDir);
    // Rounds interleave the cases, so that slow drifts in other work on the machine touch every case alike.
    for (let round = 1; round <= settings.repeat; round += 1) {
      const results: CaseResult[] = [];
      for (const id of settings.cases) {
        const skipped = unavailable.get(id);
        if (skipped) {
          results.push(skipped);
          continue;
        }
        progress(`round ${round}/${settings.repeat}`);
        results.push(await runCase(CASES.find((c) => c.id === id) as BenchCase, context, settings));
      }
      rounds.push(results);
    }
  } finally {
    await group.close();
    await rm(workDir, { recursive: true, force: true });
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
    notes: notesFor(cases, settings),
  };
  await mkdir(options.outDir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const json = JSON.stringify(run, null, 2) + '\n';
  const dated = join(options.outDir, `data-plane-${stamp}.json`);
  await writeFile(dated, json);
  await writeFile(join(options.outDir, 'data-plane-latest.json'), json);
  process.stdout.write(renderMarkdown(run));
  progress(`results: ${dated} (and data-plane-latest.json)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`data-plane benchmark: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
