/** The demo's periodic printout: per provider of each pool, what the dashboard shows, as text. */
import type { DashboardPool } from '../../operator/dashboard/dashboard-state.ts';
import type { Tally } from './load-generator.ts';

const cell = (value: number | null, digits: number, unit: string, width: number): string =>
  (value === null ? '-' : `${value.toFixed(digits)}${unit}`).padStart(width);

export function renderTable(
  pools: readonly DashboardPool[],
  tally: Tally | undefined,
  elapsedS: number,
): string {
  const lines = [
    `\n[${elapsedS.toFixed(0)} s]` +
      (tally === undefined
        ? ''
        : ` the demo app: ${tally.ok} answered, ${tally.retried} after a retry, ${tally.failed} failed`),
  ];
  for (const pool of pools) {
    lines.push(
      `  pool ${pool.namespace}/${pool.name}, strategy ${pool.strategy ?? '-'}, configuration ${pool.configVersion ?? '-'}`,
      '  provider       state        weight   share     p50      p95  errors    429s     spend',
    );
    for (const p of pool.providers)
      lines.push(
        `  ${p.name.padEnd(14)} ${p.state.padEnd(11)} ${cell(p.effectiveWeight, 2, '', 7)} ${cell(
          p.trafficShare === null ? null : p.trafficShare * 100,
          1,
          ' %',
          7,
        )} ${cell(p.latencyP50Ms, 0, ' ms', 7)} ${cell(p.latencyP95Ms, 0, ' ms', 8)} ${cell(
          p.errorRate === null ? null : p.errorRate * 100,
          0,
          ' %',
          7,
        )} ${cell(p.rateLimitedRate === null ? null : p.rateLimitedRate * 100, 0, ' %', 7)} ${cell(
          p.costPerHourUSD,
          3,
          ' USD/h',
          11,
        )}`,
      );
  }
  return lines.join('\n');
}
