/** The shape of a data-plane benchmark run as written to bench/results/, and the ratios derived from it. */
import type { FootprintRun } from './footprint.ts';
import type { PhaseResult } from './load-generator.ts';

export const RESULTS_SCHEMA = 'switchboard.bench.data-plane/v1';

export const MODES = ['chat', 'stream'] as const;
export type Mode = (typeof MODES)[number];

export interface PhaseMeasure extends PhaseResult {
  /** Share of one core used during the phase, in percent, per process tree. */
  readonly cpuPercent: {
    readonly sut: number;
    /** null in the direct case, where the upstream is the system under test. */
    readonly upstream: number | null;
    readonly loadGenerator: number;
  };
  /**
   * CPU on each core used by anything but this benchmark's processes (other work on the machine), in percent of
   * that core: how much the measurement was disturbed.
   */
  readonly otherCpuPercent: { readonly sutCore: number; readonly loadCore: number };
}

export interface ModeResult {
  readonly status: 'ok' | 'failed';
  readonly reason?: string;
  /** Of the rounds combined, how many measured this mode. */
  readonly okRounds?: number;
  /**
   * Closed loop, `connections` at once, as fast as answers come, after `settings.warmupS` of the same load: the
   * throughput of a process that has been serving for a while (its hot code optimised).
   */
  readonly saturation?: PhaseMeasure;
  /**
   * The same load in the first `settings.durationS` of this mode's load, before the warm-up: for the first mode
   * (chat), the first seconds after start, while the JIT compilers are still at work.
   */
  readonly cold?: PhaseMeasure;
  /** Open loop at `settings.rate` requests per second; absent when the rate is 0. */
  readonly fixedRate?: PhaseMeasure;
  /** One connection, one request at a time (no queueing): per-request latency and time to the first byte. */
  readonly oneConnection?: PhaseMeasure;
  /** Resident memory of the system under test right after this mode's load, MiB. */
  readonly rssAfterMiB?: number;
  readonly peakRssMiB?: number;
}

export interface CaseResult {
  readonly id: string;
  readonly description: string;
  readonly status: 'ok' | 'unavailable' | 'failed';
  readonly reason?: string;
  /** Rounds this result combines (see combineRounds). */
  readonly rounds?: number;
  /** Resident memory of the system under test once started and answering, before any load, MiB. */
  readonly idleRssMiB?: number;
  /** Spawn to ready (see RunningCase.readyMs), ms. */
  readonly readyMs?: number;
  readonly modes: Partial<Record<Mode, ModeResult>>;
}

export interface Comparison {
  readonly id: string;
  readonly mode: Mode;
  /** Saturation throughput of the case divided by that of the baseline. */
  readonly throughputVsDirect: number | null;
  readonly throughputVsMinimalForwarder: number | null;
  /** Case latency minus direct latency, ms: at the fixed rate (overhead), and at saturation (includes queueing). */
  readonly addedLatencyAtRateMs: { readonly p50: number; readonly p99: number } | null;
  readonly addedLatencyAtSaturationMs: { readonly p50: number; readonly p99: number } | null;
  /** At one connection (no queueing): case latency minus direct, and minus the minimal forwarder's, ms. */
  readonly addedLatencyOneConnectionMs: { readonly p50: number; readonly p99: number } | null;
  readonly addedLatencyOneConnectionVsForwarderMs: { readonly p50: number; readonly p99: number } | null;
  /** At one connection: time to the first body byte (a stream's first event) minus direct's, ms. */
  readonly addedFirstByteMs: { readonly p50: number; readonly p99: number } | null;
}

export interface Settings {
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** Requests per second of the fixed-rate phase; 0: skipped. */
  readonly rate: number;
  readonly rateConnections: number;
  readonly modes: readonly Mode[];
  readonly cases: readonly string[];
  readonly cores: { readonly sut: number; readonly load: number };
  /** Rounds over all cases, interleaved; each reported phase is the median round. */
  readonly repeat: number;
  /** Niceness of every benchmark process (negative: ahead of other work on the machine). */
  readonly nice: number;
  readonly requestBody: Record<Mode, string>;
}

export interface RunResults {
  readonly schema: typeof RESULTS_SCHEMA;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly settings: Settings;
  readonly environment: Record<string, string | number>;
  readonly peers: Record<string, { readonly ok: boolean; readonly detail: string; readonly seconds: number }>;
  /** Combined per case: the median round of each phase. */
  readonly cases: readonly CaseResult[];
  /** Every round as measured, round by round. */
  readonly rounds: readonly (readonly CaseResult[])[];
  readonly comparisons: readonly Comparison[];
  /** Start-up and idle memory of the sidecar and its references (footprint.ts); absent with --startup-rounds 0. */
  readonly footprint?: FootprintRun;
  readonly notes: readonly string[];
}

function saturationOf(results: readonly CaseResult[], id: string, mode: Mode): PhaseMeasure | undefined {
  return results.find((c) => c.id === id)?.modes[mode]?.saturation;
}

function fixedRateOf(results: readonly CaseResult[], id: string, mode: Mode): PhaseMeasure | undefined {
  return results.find((c) => c.id === id)?.modes[mode]?.fixedRate;
}

function oneConnectionOf(results: readonly CaseResult[], id: string, mode: Mode): PhaseMeasure | undefined {
  return results.find((c) => c.id === id)?.modes[mode]?.oneConnection;
}

function added(
  measured: PhaseMeasure | undefined,
  baseline: PhaseMeasure | undefined,
  of: 'latencyMs' | 'firstByteMs' = 'latencyMs',
): { p50: number; p99: number } | null {
  const m = measured?.[of];
  const b = baseline?.[of];
  if (!m || !b) return null;
  return { p50: m.p50 - b.p50, p99: m.p99 - b.p99 };
}

function ratio(measured: PhaseMeasure | undefined, baseline: PhaseMeasure | undefined): number | null {
  if (!measured || !baseline || baseline.rps === 0) return null;
  return measured.rps / baseline.rps;
}

/** Every case against the two baselines of the same run, mode by mode. */
export function compare(results: readonly CaseResult[], modes: readonly Mode[]): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const mode of modes) {
    const direct = saturationOf(results, 'direct', mode);
    const forwarder = saturationOf(results, 'minimal-forwarder', mode);
    for (const c of results) {
      if (c.id === 'direct' || c.modes[mode]?.status !== 'ok') continue;
      const saturation = saturationOf(results, c.id, mode);
      comparisons.push({
        id: c.id,
        mode,
        throughputVsDirect: ratio(saturation, direct),
        throughputVsMinimalForwarder: c.id === 'minimal-forwarder' ? null : ratio(saturation, forwarder),
        addedLatencyAtRateMs: added(fixedRateOf(results, c.id, mode), fixedRateOf(results, 'direct', mode)),
        addedLatencyAtSaturationMs: added(saturation, direct),
        addedLatencyOneConnectionMs: added(
          oneConnectionOf(results, c.id, mode),
          oneConnectionOf(results, 'direct', mode),
        ),
        addedLatencyOneConnectionVsForwarderMs:
          c.id === 'minimal-forwarder'
            ? null
            : added(
                oneConnectionOf(results, c.id, mode),
                oneConnectionOf(results, 'minimal-forwarder', mode),
              ),
        addedFirstByteMs: added(
          oneConnectionOf(results, c.id, mode),
          oneConnectionOf(results, 'direct', mode),
          'firstByteMs',
        ),
      });
    }
  }
  return comparisons;
}

/** The element of median rank by `key` (the lower middle for an even count); undefined for none. */
function medianBy<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function median(values: readonly number[]): number | undefined {
  return medianBy(values, (v) => v);
}

/**
 * One case's rounds as one result. Each phase is the round with the median value of what that phase is for
 * (throughput at saturation, p50 at the fixed rate), so a row is always one real measurement, never a blend.
 */
export function combineRounds(rounds: readonly CaseResult[], modes: readonly Mode[]): CaseResult {
  const first = rounds[0];
  if (first === undefined) throw new Error('combineRounds needs at least one round');
  const measured = rounds.filter((r) => r.status === 'ok');
  if (measured.length === 0) return { ...first, rounds: rounds.length };
  const combined: Partial<Record<Mode, ModeResult>> = {};
  for (const mode of modes) {
    const results = measured.map((r) => r.modes[mode]).filter((m) => m !== undefined);
    const ok = results.filter((m) => m.status === 'ok');
    if (ok.length === 0) {
      if (results[0] !== undefined) combined[mode] = { ...results[0], okRounds: 0 };
      continue;
    }
    const saturation = medianBy(
      ok.flatMap((m) => (m.saturation ? [m.saturation] : [])),
      (p) => p.rps,
    );
    const cold = medianBy(
      ok.flatMap((m) => (m.cold ? [m.cold] : [])),
      (p) => p.rps,
    );
    const fixedRate = medianBy(
      ok.flatMap((m) => (m.fixedRate ? [m.fixedRate] : [])),
      (p) => p.latencyMs?.p50 ?? Infinity,
    );
    const oneConnection = medianBy(
      ok.flatMap((m) => (m.oneConnection ? [m.oneConnection] : [])),
      (p) => p.latencyMs?.p50 ?? Infinity,
    );
    const rss = median(ok.flatMap((m) => (m.rssAfterMiB === undefined ? [] : [m.rssAfterMiB])));
    const peaks = ok.flatMap((m) => (m.peakRssMiB === undefined ? [] : [m.peakRssMiB]));
    combined[mode] = {
      status: 'ok',
      okRounds: ok.length,
      ...(saturation ? { saturation } : {}),
      ...(cold ? { cold } : {}),
      ...(fixedRate ? { fixedRate } : {}),
      ...(oneConnection ? { oneConnection } : {}),
      ...(rss === undefined ? {} : { rssAfterMiB: rss }),
      ...(peaks.length === 0 ? {} : { peakRssMiB: Math.max(...peaks) }),
    };
  }
  const idle = median(measured.flatMap((r) => (r.idleRssMiB === undefined ? [] : [r.idleRssMiB])));
  const ready = median(measured.flatMap((r) => (r.readyMs === undefined ? [] : [r.readyMs])));
  return {
    id: first.id,
    description: first.description,
    status: 'ok',
    rounds: rounds.length,
    ...(idle === undefined ? {} : { idleRssMiB: idle }),
    ...(ready === undefined ? {} : { readyMs: ready }),
    modes: combined,
  };
}
