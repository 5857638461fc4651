/** Command-line options of the data-plane benchmark. */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, type Cores } from './cases.ts';
import { REQUEST_BODY } from './measure.ts';
import { MODES, type Settings } from './results.ts';

const BENCH_DIR = resolve(import.meta.dirname, '..');

export const USAGE = `usage: node bench/data-plane/run.ts [options]

  --duration S          seconds of each measured phase (saturation, fixed rate) per case and mode (default 2)
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

export interface Options {
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

/** undefined when only help was asked for (it has been printed). */
export function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '2' },
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
