/** Markdown for a run: one table of measurements, one of ratios against the baselines, then the notes. */
import type { CaseResult, Comparison, Mode, PhaseMeasure, RunResults } from './results.ts';

const DASH = '—';

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? DASH : value.toFixed(digits);
}

function signed(value: number | null | undefined, digits: number): string {
  const text = fixed(value, digits);
  return value !== null && value !== undefined && value >= 0 && text !== DASH ? `+${text}` : text;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (i < 2 ? '---' : '--:'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

function failures(phase: PhaseMeasure | undefined): string {
  if (!phase) return DASH;
  const bad = phase.non2xx + phase.errors;
  return bad === 0 ? '0' : `${bad} (${phase.non2xx} non-2xx, ${phase.errors} errors)`;
}

function measurementRows(cases: readonly CaseResult[], modes: readonly Mode[]): string[][] {
  const rows: string[][] = [];
  for (const mode of modes) {
    for (const c of cases) {
      const result = c.modes[mode];
      if (c.status !== 'ok' || !result || result.status !== 'ok') {
        const why = c.reason ?? result?.reason ?? 'not run';
        rows.push([c.id, mode, `${c.status === 'ok' ? 'failed' : c.status}: ${why.split('\n')[0] ?? ''}`]);
        continue;
      }
      const s = result.saturation;
      const r = result.fixedRate;
      const loadCore = s ? s.cpuPercent.loadGenerator + (s.cpuPercent.upstream ?? 0) : undefined;
      rows.push([
        c.id,
        mode,
        fixed(s?.rps, 0),
        fixed(s?.latencyMs?.p50, 2),
        fixed(s?.latencyMs?.p99, 2),
        fixed(r?.rps, 0),
        fixed(r?.latencyMs?.p50, 3),
        fixed(r?.latencyMs?.p99, 3),
        fixed(result.rssAfterMiB, 1),
        fixed(s?.cpuPercent.sut, 0),
        fixed(loadCore, 0),
        fixed(s?.otherCpuPercent.sutCore, 0),
        failures(s),
      ]);
    }
  }
  return rows;
}

function comparisonRows(comparisons: readonly Comparison[]): string[][] {
  return comparisons.map((c) => [
    c.id,
    c.mode,
    fixed(c.throughputVsDirect, 2),
    fixed(c.throughputVsMinimalForwarder, 2),
    signed(c.addedLatencyAtRateMs?.p50, 3),
    signed(c.addedLatencyAtRateMs?.p99, 3),
    signed(c.addedLatencyAtSaturationMs?.p50, 2),
    signed(c.addedLatencyAtSaturationMs?.p99, 2),
  ]);
}

export function renderMarkdown(run: RunResults): string {
  const s = run.settings;
  const rate = s.rate > 0 ? `${s.rate} req/s` : 'off';
  const lines = [
    `## Data plane: ${run.startedAt}`,
    '',
    `${s.repeat === 1 ? 'One round' : `Median of ${s.repeat} interleaved rounds`} per phase. ` +
      `Saturation: ${s.connections} connections, ${s.durationS} s after ${s.warmupS} s warm-up. ` +
      `Fixed rate: ${rate} over ${s.rateConnections} connections, ${s.durationS} s. ` +
      `System under test alone on core ${s.cores.sut}; load generator and upstream mock on core ${s.cores.load}` +
      `${s.nice === 0 ? '' : `; all at niceness ${s.nice}`}. ` +
      'Latency: request start to last body byte, 2xx answers only. CPU columns are for the saturation phase: ' +
      `the system under test, the load generator plus upstream mock (core ${s.cores.load}), and work outside ` +
      `this benchmark on core ${s.cores.sut}.`,
    '',
    table(
      [
        'case',
        'mode',
        'req/s',
        'p50 ms',
        'p99 ms',
        `req/s @rate`,
        'p50 ms @rate',
        'p99 ms @rate',
        'RSS MiB',
        'CPU % SUT',
        `CPU % core ${s.cores.load}`,
        `other CPU % core ${s.cores.sut}`,
        'failures',
      ],
      measurementRows(run.cases, s.modes),
    ),
    '',
    'Ratios to the baselines of this run (throughput at saturation; added latency = case minus direct):',
    '',
    table(
      [
        'case',
        'mode',
        'req/s ÷ direct',
        'req/s ÷ minimal forwarder',
        'added p50 ms @rate',
        'added p99 ms @rate',
        'added p50 ms @saturation',
        'added p99 ms @saturation',
      ],
      comparisonRows(run.comparisons),
    ),
  ];
  if (run.notes.length > 0) lines.push('', 'Notes:', '', ...run.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}
