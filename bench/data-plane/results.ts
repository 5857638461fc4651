/** The shape of a data-plane benchmark run as written to bench/results/, and the ratios derived from it. */
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
  /** Closed loop, `connections` at once, as fast as answers come. */
  readonly saturation?: PhaseMeasure;
  /** Open loop at `settings.rate` requests per second; absent when the rate is 0. */
  readonly fixedRate?: PhaseMeasure;
  /** Resident memory of the system under test right after this mode's load, MiB. */
  readonly rssAfterMiB?: number;
  readonly peakRssMiB?: number;
}

export interface CaseResult {
  readonly id: string;
  readonly description: string;
  readonly status: 'ok' | 'unavailable' | 'failed';
  readonly reason?: string;
  /** Resident memory of the system under test once started and answering, before any load, MiB. */
  readonly idleRssMiB?: number;
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
  readonly cases: readonly CaseResult[];
  readonly comparisons: readonly Comparison[];
  readonly notes: readonly string[];
}

function saturationOf(results: readonly CaseResult[], id: string, mode: Mode): PhaseMeasure | undefined {
  return results.find((c) => c.id === id)?.modes[mode]?.saturation;
}

function fixedRateOf(results: readonly CaseResult[], id: string, mode: Mode): PhaseMeasure | undefined {
  return results.find((c) => c.id === id)?.modes[mode]?.fixedRate;
}

function added(
  measured: PhaseMeasure | undefined,
  baseline: PhaseMeasure | undefined,
): { p50: number; p99: number } | null {
  const m = measured?.latencyMs;
  const b = baseline?.latencyMs;
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
      });
    }
  }
  return comparisons;
}
