/**
 * Start-up and idle footprint: time from process start to ready (the first /readyz 200, or the first line a bench
 * child writes when it listens), and resident memory a few seconds later, before any request. Each variant is a
 * fresh process alone on the system-under-test core; rounds interleave the variants; medians are reported.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { SIDECAR_ENVIRONMENT, SIDECAR_NODE_OPTIONS } from '../../core/sidecar-node-options.ts';

const DEPLOYED_ENVIRONMENT = Object.entries(SIDECAR_ENVIRONMENT)
  .map(([name, value]) => `${name}=${value} `)
  .join('');
import { startSidecarCommand, writePool, type CaseContext } from './cases.ts';
import { progress } from './measure.ts';
import { cpuSeconds, memory } from './proc-stats.ts';
import type { BenchChild } from './process-group.ts';

const HERE = import.meta.dirname;
const REPO = join(HERE, '..', '..');
const START_TIMEOUT_MS = 30_000;

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export interface FootprintResult {
  readonly id: string;
  readonly description: string;
  /** Process start to ready, ms; absent where the variant has no readiness to time. */
  readonly readyMs?: Spread;
  /**
   * CPU time the process used until ready, ms (from /proc, in clock ticks): what start-up costs regardless of
   * other work on the machine, and about its wall time on an idle core.
   */
  readonly readyCpuMs?: Spread;
  /** VmRSS of the process tree `idleS` after ready, before any request, MiB. */
  readonly idleRssMiB: Spread;
  readonly failures: readonly string[];
}

export interface FootprintRun {
  readonly rounds: number;
  readonly idleS: number;
  readonly variants: readonly FootprintResult[];
}

interface Started {
  readonly child: BenchChild;
  readonly readyMs?: number;
}

/** CPU time of the child's process tree so far, ms. */
function cpuMs(child: BenchChild): number {
  return cpuSeconds(child.pid) * 1000;
}

interface Variant {
  readonly id: string;
  readonly description: string;
  start(context: CaseContext, poolFile: string, upstreamUrl: string): Promise<Started>;
}

function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, samples };
}

/** A Node child that writes one JSON line when it listens: ready then. */
async function nodeChild(context: CaseContext, name: string, args: readonly string[]): Promise<Started> {
  const started = performance.now();
  const child = context.group.spawn({ name, core: context.cores.sut, command: process.execPath, args });
  await child.nextJson(START_TIMEOUT_MS);
  return { child, readyMs: performance.now() - started };
}

const VARIANTS: readonly Variant[] = [
  {
    id: 'sidecar',
    description:
      `${DEPLOYED_ENVIRONMENT}node ${SIDECAR_NODE_OPTIONS.join(' ')} bin/switchboard.js sidecar (the prebuilt ` +
      'bundle), as a new pod starts it: an empty compile cache',
    async start(context, poolFile) {
      const cache = await mkdtemp(join(context.workDir, 'compile-cache-'));
      return withEnv({ NODE_COMPILE_CACHE: cache }, () => startSidecarCommand(context, 'sidecar', poolFile));
    },
  },
  {
    id: 'sidecar-warm-cache',
    description: 'the same, restarted with the compile cache its previous start left (a container restart)',
    async start(context, poolFile) {
      const cache = join(context.workDir, 'compile-cache-warm');
      return withEnv({ NODE_COMPILE_CACHE: cache }, () =>
        startSidecarCommand(context, 'sidecar-warm-cache', poolFile),
      );
    },
  },
  {
    id: 'sidecar-sources',
    description: `${DEPLOYED_ENVIRONMENT}node ${SIDECAR_NODE_OPTIONS.join(' ')} cli/main.ts sidecar: the TypeScript sources, no bundle`,
    start: (context, poolFile) =>
      startSidecarCommand(
        context,
        'sidecar-sources',
        poolFile,
        SIDECAR_NODE_OPTIONS,
        join(REPO, 'cli', 'main.ts'),
      ),
  },
  {
    id: 'minimal-forwarder',
    description: 'the featureless forwarder (node:http + undici), from TypeScript, ready when it listens',
    start: (context, _poolFile, upstreamUrl) =>
      nodeChild(context, 'minimal-forwarder', [
        join(HERE, 'minimal-forwarder.ts'),
        `--upstream=${new URL(upstreamUrl).origin}`,
      ]),
  },
  {
    id: 'node',
    description: 'Node.js itself, idle (node -e with a timer): the floor of any Node process',
    async start(context) {
      const child = context.group.spawn({
        name: 'node',
        core: context.cores.sut,
        command: process.execPath,
        args: ['-e', 'process.stdout.write("{}\\n"); setInterval(() => {}, 1e9)'],
      });
      await child.nextJson(START_TIMEOUT_MS);
      return { child };
    },
  },
];

/** NODE_COMPILE_CACHE and the like for one spawn: the process group copies process.env when it spawns. */
async function withEnv<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export async function measureFootprint(
  context: CaseContext,
  upstream: { urls: readonly string[] },
  { rounds, idleS }: { rounds: number; idleS: number },
): Promise<FootprintRun> {
  const poolFile = await writePool(context, 'footprint', upstream.urls, [1]);
  const samples = new Map(
    VARIANTS.map((v) => [
      v.id,
      { ready: [] as number[], readyCpu: [] as number[], rss: [] as number[], failures: [] as string[] },
    ]),
  );
  // One unmeasured start fills the warm compile cache.
  const warm = VARIANTS.find((v) => v.id === 'sidecar-warm-cache');
  if (warm) {
    const { child } = await warm.start(context, poolFile, upstream.urls[0] as string);
    await context.group.stop(child);
  }
  for (let round = 1; round <= rounds; round += 1) {
    progress(`footprint round ${round} of ${rounds}`);
    for (const variant of VARIANTS) {
      const s = samples.get(variant.id);
      if (!s) continue;
      try {
        const { child, readyMs } = await variant.start(context, poolFile, upstream.urls[0] as string);
        const readyCpu = cpuMs(child);
        await new Promise((resolve) => setTimeout(resolve, idleS * 1000));
        const rss = memory(child.pid).rssMiB;
        await context.group.stop(child);
        if (readyMs !== undefined) {
          s.ready.push(readyMs);
          s.readyCpu.push(readyCpu);
        }
        s.rss.push(rss);
        progress(
          `  ${variant.id}: ready ${readyMs?.toFixed(0) ?? '-'} ms (CPU ${readyCpu.toFixed(0)} ms), idle RSS ${rss.toFixed(1)} MiB`,
        );
      } catch (error) {
        s.failures.push(error instanceof Error ? error.message : String(error));
        progress(`  ${variant.id}: failed: ${s.failures.at(-1) ?? ''}`);
      }
    }
  }
  return {
    rounds,
    idleS,
    variants: VARIANTS.map((v) => {
      const s = samples.get(v.id) ?? { ready: [], readyCpu: [], rss: [], failures: [] };
      return {
        id: v.id,
        description: v.description,
        ...(s.ready.length === 0 ? {} : { readyMs: spread(s.ready), readyCpuMs: spread(s.readyCpu) }),
        idleRssMiB: spread(s.rss),
        failures: s.failures,
      };
    }),
  };
}
