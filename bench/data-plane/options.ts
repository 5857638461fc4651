/** Command-line options of the data-plane benchmark. */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, type Cores } from './cases.ts';
import { REQUEST_BODY } from './measure.ts';
import { MODES, type Settings } from './results.ts';

const BENCH_DIR = resolve(import.meta.dirname, '..');

/** The side-by-side comparison; the other sidecar variants (express front, two weighted providers) on request. */
const DEFAULT_CASES = [
  'direct',
  'minimal-forwarder',
  'minimal-forwarder-capped',
  'sidecar',
  'sidecar-default-heap',
  'portkey',
  'litellm',
];

export const USAGE = `usage: node bench/data-plane/run.ts [options]

  --duration S          seconds of each measured phase (cold, saturation, fixed rate) per case and mode (default 2)
  --warmup S            seconds of unmeasured load between the cold phase (the first seconds of load) and the
                        others, so that they measure code the JIT has optimised (default 12)
  --repeat N            rounds over all cases, interleaved; each phase reports its median round (default 5: one
                        process may serve 20–40 % more than another of the same build, so few rounds decide little)
  --connections N       concurrent connections at saturation (default 32)
  --rate R              requests/s of the fixed-rate (latency) phase; 0 skips it (default 200)
  --rate-connections N  connections of the fixed-rate phase (default: --connections)
  --cases LIST          comma-separated, from ${CASES.map((c) => c.id).join(', ')}
                        (default: ${DEFAULT_CASES.join(', ')})
  --modes LIST          chat (non-streaming), stream (default: chat,stream)
  --no-install          do not install missing peer gateways (they are reported unavailable)
  --sut-core C          core of the system under test (default 1)
  --load-core C         core of the load generator and upstream mock (default 0)
  --nice N              niceness of every benchmark process, so other work on a shared machine disturbs less;
                        negative values need root, and without root it is 0 (default -10; 0: leave as is)
  --startup-rounds N    start-ups per footprint variant (time to ready, idle RSS); 0 skips them (default 5)
  --idle S              seconds a started process idles before its RSS is read (default 3)
  --quick               one round of 1 s phases, 3 start-ups per variant: a look, not a result to commit
  --out DIR             where results go (default bench/results)
`;

export interface Options {
  readonly settings: Settings;
  readonly startupRounds: number;
  readonly idleS: number;
  readonly quick: boolean;
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

/** undefined when only help was asked for (it has been printed). */
export function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      connections: { type: 'string', default: '32' },
      rate: { type: 'string', default: '200' },
      'rate-connections': { type: 'string' },
      cases: { type: 'string', default: DEFAULT_CASES.join(',') },
      modes: { type: 'string', default: MODES.join(',') },
      'no-install': { type: 'boolean', default: false },
      'sut-core': { type: 'string', default: '1' },
      'load-core': { type: 'string', default: '0' },
      nice: { type: 'string', default: '-10' },
      'startup-rounds': { type: 'string' },
      idle: { type: 'string', default: '3' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: join(BENCH_DIR, 'results') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return undefined;
  }
  const quick = values.quick;
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
      durationS: positive(values.duration ?? (quick ? '1' : '2'), '--duration'),
      warmupS: positive(values.warmup ?? (quick ? '0.5' : '12'), '--warmup', { allowZero: true }),
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
      repeat: positive(values.repeat ?? (quick ? '1' : '5'), '--repeat', { integer: true }),
      nice: nice < 0 && !root ? 0 : nice,
      requestBody: REQUEST_BODY,
    },
    startupRounds: positive(values['startup-rounds'] ?? (quick ? '3' : '5'), '--startup-rounds', {
      allowZero: true,
      integer: true,
    }),
    idleS: positive(values.idle, '--idle'),
    quick,
    install: !values['no-install'],
    outDir: resolve(values.out),
  };
}
