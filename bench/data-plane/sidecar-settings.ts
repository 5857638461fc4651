/**
 * The sidecar's heap flags and allocator setting against each other: one sidecar per variant (the bundle, all
 * started at once, pinned to the system-under-test core), loaded in turn at saturation (chat, then streams) for
 * `--rounds` alternated rounds. CPU time per request is read from each sidecar's own /proc entry, so other work on a
 * shared machine disturbs it much less than throughput; RSS is read at idle (before any request) and after every
 * variant has had the same load. Prints a table of medians (and every round) and writes nothing.
 *
 *   node bench/data-plane/sidecar-settings.ts --rounds 7 --duration 3
 *   node bench/data-plane/sidecar-settings.ts --variants deployed,semi-2,defaults
 *   node bench/data-plane/sidecar-settings.ts --variants deployed --baseline /path/to/main-checkout
 *
 * `--baseline DIR` adds the variant `baseline`: the sidecar of another checkout (its bundle built with
 * `npm run build:sidecar` there) with that checkout's own flags and environment, so a change of the code, the bundle
 * or the settings is measured against the code before it in the same alternated rounds.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import { SIDECAR_ENVIRONMENT, SIDECAR_NODE_OPTIONS } from '../../core/sidecar-node-options.ts';
import { SWITCHBOARD_BIN, startSidecarCommand, startUpstream, writePool, type CaseContext } from './cases.ts';
import { REQUEST_BODY } from './measure.ts';
import { ProcessGroup } from './process-group.ts';
import { cpuSeconds, memory } from './proc-stats.ts';

interface Variant {
  readonly flags: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** The script to run: this checkout's bin/switchboard.js unless given. */
  readonly bin?: string;
}

/** The deployed environment with one more glibc tunable. */
const tunables = (extra: string): Readonly<Record<string, string>> => ({
  ...SIDECAR_ENVIRONMENT,
  GLIBC_TUNABLES: [SIDECAR_ENVIRONMENT['GLIBC_TUNABLES'], extra].filter((t) => t !== undefined).join(':'),
});

/** The deployed flags and environment with another cap of the young generation. */
const semi = (mib: number): Variant => ({
  flags: SIDECAR_NODE_OPTIONS.map((flag) =>
    flag.startsWith('--max-semi-space-size=') ? `--max-semi-space-size=${mib}` : flag,
  ),
  environment: SIDECAR_ENVIRONMENT,
});
/** The deployed flags and environment with more flags. */
const plus = (...flags: string[]): Variant => ({
  flags: [...SIDECAR_NODE_OPTIONS, ...flags],
  environment: SIDECAR_ENVIRONMENT,
});
const VARIANTS: Record<string, Variant> = {
  deployed: { flags: SIDECAR_NODE_OPTIONS, environment: SIDECAR_ENVIRONMENT },
  // Without --expose-gc the sidecar does not settle its heap after start-up (cli/settle-heap.ts).
  'no-settle': {
    flags: SIDECAR_NODE_OPTIONS.filter((flag) => flag !== '--expose-gc'),
    environment: SIDECAR_ENVIRONMENT,
  },
  // gc exposed under another name: the flag's effect without the collection cli/settle-heap.ts runs.
  'settle-off': {
    flags: [...SIDECAR_NODE_OPTIONS.filter((flag) => flag !== '--expose-gc'), '--expose-gc-as=v8gc'],
    environment: SIDECAR_ENVIRONMENT,
  },
  'semi-2': semi(2),
  'semi-3': semi(3),
  'semi-4': semi(4),
  'semi-8': semi(8),
  'semi-16': semi(16),
  'glibc-defaults': { flags: SIDECAR_NODE_OPTIONS, environment: {} },
  'arena-1': { flags: SIDECAR_NODE_OPTIONS, environment: tunables('glibc.malloc.arena_max=1') },
  'arena-2': { flags: SIDECAR_NODE_OPTIONS, environment: tunables('glibc.malloc.arena_max=2') },
  'mmap-16k': {
    flags: SIDECAR_NODE_OPTIONS,
    environment: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=16384' },
  },
  'mmap-8k': {
    flags: SIDECAR_NODE_OPTIONS,
    environment: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=8192' },
  },
  'v8-pool-2': plus('--v8-pool-size=2'),
  // undici's HTTP parser is WebAssembly (llhttp): compiled by Liftoff, then again by TurboFan for hot functions.
  'wasm-no-tier-up': plus('--no-wasm-tier-up'),
  // The young generation kept at its cap: the settle collection frees its pages but cannot shrink it.
  'settle-min-semi-4': plus('--min-semi-space-size=4'),
  // Maglev as the top tier: no TurboFan code, compiler zones or the binary's pages it runs.
  'no-turbofan': plus('--max-opt=2'),
  'optimize-for-size': plus('--optimize-for-size'),
  // The young generation collected by the main thread alone: on a pinned core, helper threads only take turns.
  'no-parallel-scavenge': plus('--no-parallel-scavenge'),
  'single-threaded-gc': plus('--single-threaded-gc'),
  // Young-generation collections only when it is full, not from a task posted when it is 80 % full.
  'no-minor-gc-task': plus('--no-minor-gc-task'),
  // Mark-sweep of the young generation instead of copying it (V8's experimental minor collector).
  'minor-ms': plus('--minor-ms'),
  defaults: { flags: [], environment: {} },
};

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: 'deployed,glibc-defaults,semi-2,semi-8,defaults' },
    rounds: { type: 'string', default: '7' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    modes: { type: 'string', default: 'chat,stream' },
    baseline: { type: 'string' },
  },
});
const names = values.variants.split(',');
if (values.baseline !== undefined) {
  const dir = resolve(values.baseline);
  const theirs = (await import(join(dir, 'core', 'sidecar-node-options.ts'))) as {
    SIDECAR_NODE_OPTIONS: readonly string[];
    SIDECAR_ENVIRONMENT: Readonly<Record<string, string>>;
  };
  VARIANTS['baseline'] = {
    flags: theirs.SIDECAR_NODE_OPTIONS,
    environment: theirs.SIDECAR_ENVIRONMENT,
    bin: join(dir, 'bin', 'switchboard.js'),
  };
  names.push('baseline');
}
for (const name of names) {
  if (VARIANTS[name] === undefined)
    throw new Error(`unknown variant "${name}"; choose from ${Object.keys(VARIANTS).join(', ')}`);
}
const modes = values.modes.split(',') as Array<keyof typeof REQUEST_BODY>;
const rounds = Number(values.rounds);

const group = new ProcessGroup();
const context: CaseContext = {
  group,
  cores: { sut: 1, load: 0 },
  workDir: await mkdtemp(join(tmpdir(), 'sidecar-settings-')),
  peersDir: '',
};
try {
  const upstream = await startUpstream(context, 1, context.cores.load);
  const poolFile = await writePool(context, 'settings', upstream.urls, [1]);
  const sidecars = new Map<string, { pid: number; baseUrl: string }>();
  for (const name of names) {
    const variant = VARIANTS[name] as Variant;
    const started = await startSidecarCommand(
      context,
      name,
      poolFile,
      variant.flags,
      variant.bin ?? SWITCHBOARD_BIN,
      variant.environment,
    );
    sidecars.set(name, { pid: started.child.pid, baseUrl: started.baseUrl });
  }
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idle = new Map([...sidecars].map(([name, s]) => [name, memory(s.pid).rssMiB]));

  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const mode of modes) {
      for (const name of order) {
        const sidecar = sidecars.get(name) as { pid: number; baseUrl: string };
        const before = cpuSeconds(sidecar.pid);
        const result = await new Promise<AutocannonResult>((resolve, reject) =>
          autocannon(
            {
              url: `${sidecar.baseUrl}/chat/completions`,
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: REQUEST_BODY[mode],
              connections: Number(values.connections),
              duration: Number(values.duration),
            },
            (error, done) => (error ? reject(error) : resolve(done)),
          ),
        );
        const cpuUs = (cpuSeconds(sidecar.pid) - before) * 1e6;
        const ok = result.requests.total - result.non2xx;
        if (ok === 0 || result.non2xx > 0 || result.errors > 0)
          process.stderr.write(
            `${name} ${mode} round ${round + 1}: ${result.non2xx} non-2xx, ${result.errors} errors\n`,
          );
        const key = `${name}\t${mode}`;
        samples.set(key, [...(samples.get(key) ?? []), ok > 0 ? cpuUs / ok : NaN]);
      }
    }
  }

  const median = (xs: readonly number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
  };
  process.stdout.write(
    `| variant | flags | environment | mode | CPU µs per request, median | every round | idle RSS MiB | RSS after load MiB |\n` +
      `| --- | --- | --- | --- | --: | --- | --: | --: |\n`,
  );
  for (const name of names) {
    const variant = VARIANTS[name] as Variant;
    const after = memory((sidecars.get(name) as { pid: number }).pid).rssMiB;
    for (const mode of modes) {
      const xs = samples.get(`${name}\t${mode}`) ?? [];
      const env =
        Object.entries(variant.environment)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || '—';
      process.stdout.write(
        `| ${name} | ${variant.flags.join(' ') || '—'} | ${env} | ${mode} | ${median(xs).toFixed(0)} | ` +
          `${xs.map((x) => x.toFixed(0)).join(' ')} | ${(idle.get(name) ?? NaN).toFixed(1)} | ${after.toFixed(1)} |\n`,
      );
    }
  }
} finally {
  await group.stopAll();
}
