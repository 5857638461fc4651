/**
 * `npm run bench:control-plane`: one operator (local mode, its own process) and N simulated sidecars (this
 * process; SSE stream, ACKs and reports every 5 s each). Measures how long a ProviderPool change takes to reach
 * every sidecar, how long a cool-down reported by one sidecar takes to reach all the others, and the operator's
 * resident memory and CPU while the fleet reports. Writes bench/results/control-plane-latest.json.
 *
 *   npm run bench:control-plane -- [--sidecars 1000,5000] [--rounds 3] [--quick] [--operator-node-flags '…']
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { stringify } from 'yaml';
import { cpuSeconds, memory } from '../data-plane/proc-stats.ts';
import { SimulatedSidecar } from './simulated-sidecar.ts';

const { values } = parseArgs({
  options: {
    sidecars: { type: 'string', default: '1000,5000' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    // V8's young generation grows to 16 MB × 3 under steady allocation; 2 MB semi-spaces cut the operator's RSS by
    // ~100 MiB at 5,000 sidecars for a few more scavenges. The deployment should run it so (NODE_OPTIONS).
    'operator-node-flags': { type: 'string', default: '--max-semi-space-size=2' },
  },
});
const fleetSizes = values.quick ? [200] : values.sidecars.split(',').map(Number);
const rounds = Number(values.rounds);
const REPORT_INTERVAL_MS = 5_000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function poolYaml(weight: number): string {
  return stringify({
    apiVersion: 'switchboard.dev/v1alpha1',
    kind: 'ProviderPool',
    metadata: { name: 'chat' },
    spec: {
      strategy: { type: 'adaptive' },
      providers: [
        {
          name: 'primary',
          type: 'openai',
          baseURL: 'http://127.0.0.1:9/v1',
          weight,
          models: [{ name: 'chat', model: 'm' }],
        },
        {
          name: 'backup',
          type: 'openai',
          baseURL: 'http://127.0.0.1:10/v1',
          models: [{ name: 'chat', model: 'm' }],
        },
      ],
    },
  });
}

function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface FleetResult {
  readonly sidecars: number;
  readonly configChangeMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly cooldownMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly operatorRssMiB: number;
  readonly operatorPeakRssMiB: number;
  readonly operatorCpuPercent: number;
  readonly reportsPerSecond: number;
}

async function runFleet(n: number): Promise<FleetResult> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-cp-'));
  await mkdir(dir, { recursive: true });
  const poolFile = join(dir, 'pool.yaml');
  await writeFile(poolFile, poolYaml(1));
  const operator = spawn(
    process.execPath,
    [
      ...values['operator-node-flags'].split(' ').filter((f) => f !== ''),
      new URL('../../bin/switchboard.js', import.meta.url).pathname,
      'operator',
      '--local',
      dir,
      '--sync-port',
      '0',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: operator.stdout }).on('line', (line) => {
      const match = /sync channel (http:\/\/\S+),/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    operator.once('exit', (code) => reject(new Error(`operator exited with ${code}`)));
  });
  const base = `${url}/sync/v1/pools/default/chat`;
  const streams = new Agent({ keepAliveTimeout: 60_000 });
  const posts = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
  const fleet = Array.from(
    { length: n },
    (_, i) => new SimulatedSidecar({ base, id: `sim-${i}`, streams, posts, now }),
  );
  try {
    for (let i = 0; i < n; i += 200) await Promise.all(fleet.slice(i, i + 200).map((s) => s.connect()));
    await until(
      'every sidecar’s first snapshot',
      () => fleet.every((s) => s.versionsSeenAt.size > 0),
      60_000,
    );

    // Reports every 5 s from every sidecar, spread evenly over the interval.
    let reporting = true;
    let reportsSent = 0;
    const reportLoops = fleet.map(async (s, i) => {
      await sleep((i * REPORT_INTERVAL_MS) / n);
      while (reporting) {
        const t = now();
        await s.report(t - REPORT_INTERVAL_MS, t).catch(() => undefined);
        reportsSent++;
        await sleep(REPORT_INTERVAL_MS - (now() - t));
      }
    });

    await sleep(REPORT_INTERVAL_MS); // every sidecar has reported once
    const cpuStart = cpuSeconds(operator.pid ?? 0);
    const wallStart = now();
    const reportsStart = reportsSent;
    let rssMax = 0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, memory(operator.pid ?? 0).rssMiB)), 250);

    const configLatencies: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = now();
      await writeFile(poolFile, poolYaml(2 + r));
      const before = new Set(fleet[0]?.versionsSeenAt.keys());
      await until(
        'the new version on every sidecar',
        () => fleet.every((s) => s.versionsSeenAt.size > before.size),
        60_000,
      );
      for (const s of fleet) {
        const version = [...s.versionsSeenAt.keys()].find((v) => !before.has(v));
        configLatencies.push((s.versionsSeenAt.get(version ?? '') ?? Number.NaN) - t0);
      }
      await sleep(1_000);
    }

    const cooldownLatencies: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const reporter = fleet[r % n] as SimulatedSidecar;
      const until_ = Math.floor(Date.now() + 120_000 + r * 1000);
      const key = `primary@${until_}`;
      const t0 = now();
      await reporter.report(t0 - 100, t0, [{ provider: 'primary', until: until_, reason: 'RateLimited' }]);
      const others = fleet.filter((s) => s !== reporter);
      await until(
        'the cool-down on every other sidecar',
        () => others.every((s) => s.cooldownsSeenAt.has(key)),
        60_000,
      );
      for (const s of others) cooldownLatencies.push((s.cooldownsSeenAt.get(key) ?? Number.NaN) - t0);
      await sleep(1_000);
    }

    clearInterval(sampler);
    const seconds = (now() - wallStart) / 1000;
    const cpu = (cpuSeconds(operator.pid ?? 0) - cpuStart) / seconds;
    const mem = memory(operator.pid ?? 0);
    reporting = false;
    await Promise.all(reportLoops);
    const summary = (xs: number[]) => ({
      p50: Math.round(quantile(xs, 0.5)),
      p99: Math.round(quantile(xs, 0.99)),
      max: Math.round(Math.max(...xs)),
    });
    return {
      sidecars: n,
      configChangeMs: summary(configLatencies),
      cooldownMs: summary(cooldownLatencies),
      operatorRssMiB: Math.round(Math.max(rssMax, mem.rssMiB)),
      operatorPeakRssMiB: Math.round(mem.peakRssMiB),
      operatorCpuPercent: Math.round(cpu * 1000) / 10,
      reportsPerSecond: Math.round((reportsSent - reportsStart) / seconds),
    };
  } finally {
    await Promise.all(fleet.map((s) => s.stop()));
    operator.kill('SIGKILL');
    await Promise.all([streams.close(), posts.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

const results: FleetResult[] = [];
for (const n of fleetSizes) {
  process.stderr.write(`control plane: ${n} simulated sidecars…\n`);
  results.push(await runFleet(n));
}
const table = [
  '| sidecars | change → all applied p50 / p99 / max | cool-down → all others p50 / p99 / max | operator RSS (peak) | operator CPU | reports/s |',
  '| --: | --: | --: | --: | --: | --: |',
  ...results.map(
    (r) =>
      `| ${r.sidecars} | ${r.configChangeMs.p50} / ${r.configChangeMs.p99} / ${r.configChangeMs.max} ms | ${r.cooldownMs.p50} / ${r.cooldownMs.p99} / ${r.cooldownMs.max} ms | ${r.operatorRssMiB} MiB (${r.operatorPeakRssMiB}) | ${r.operatorCpuPercent} % | ${r.reportsPerSecond} |`,
  ),
].join('\n');
process.stdout.write(`${table}\n`);
const out = new URL('../results/control-plane-latest.json', import.meta.url);
await writeFile(
  out,
  `${JSON.stringify({ schema: 'switchboard.bench.control-plane/v1', at: new Date().toISOString(), rounds, operatorNodeFlags: values['operator-node-flags'], results }, null, 2)}\n`,
);
process.stderr.write(`written ${out.pathname}\n`);
