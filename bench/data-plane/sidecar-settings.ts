/**
 * The sidecar's heap flags and allocator setting against each other: one sidecar per variant (the bundle, all
 * started at once, pinned to the system-under-test core), loaded in turn at saturation (chat, then streams) for
 * `--rounds` alternated rounds. CPU time per request is read from each sidecar's own /proc entry, so other work on a
 * shared machine disturbs it much less than throughput; RSS is read at idle (before any request) and after every
 * variant has had the same load. Prints a table of medians (and every round) and writes nothing.
 *
 *   node bench/data-plane/sidecar-settings.ts --rounds 7 --duration 3
 *   node bench/data-plane/sidecar-settings.ts --variants deployed,semi-2,defaults
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
}

const semi = (mib: number): readonly string[] => [`--max-semi-space-size=${mib}`, '--max-old-space-size=192'];
const VARIANTS: Readonly<Record<string, Variant>> = {
  deployed: { flags: SIDECAR_NODE_OPTIONS, environment: SIDECAR_ENVIRONMENT },
  'semi-2': { flags: semi(2), environment: SIDECAR_ENVIRONMENT },
  'semi-3': { flags: semi(3), environment: SIDECAR_ENVIRONMENT },
  'semi-4': { flags: semi(4), environment: SIDECAR_ENVIRONMENT },
  'semi-8': { flags: semi(8), environment: SIDECAR_ENVIRONMENT },
  'glibc-defaults': { flags: SIDECAR_NODE_OPTIONS, environment: {} },
  defaults: { flags: [], environment: {} },
};

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: 'deployed,glibc-defaults,semi-2,semi-8,defaults' },
    rounds: { type: 'string', default: '7' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    modes: { type: 'string', default: 'chat,stream' },
  },
});
const names = values.variants.split(',');
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
      SWITCHBOARD_BIN,
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
