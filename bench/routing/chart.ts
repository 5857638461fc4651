/**
 * The report's chart, as a standalone SVG: for every scenario, each router's p99 latency and cost per 1k requests
 * relative to the oracle's (1 = as good as the oracle), as horizontal bars, with the 1.15× target marked. Product
 * strategies are blue (adaptive darker), naive baselines grey, the oracle black.
 */
import type { SimResult } from './simulate.ts';

const BAR = 11;
const GAP = 3;
const LABEL_W = 170;
const PLOT_W = 260;
const MAX_RATIO = 4;
const TITLE_H = 22;

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function colour(strategy: string): string {
  if (strategy === 'oracle') return '#222';
  if (strategy === 'adaptive') return '#0b4f9c';
  if (strategy.startsWith('naive-')) return '#a8a8a8';
  return '#5b9bd5';
}

function panel(
  x: number,
  y: number,
  title: string,
  rows: readonly { strategy: string; ratio: number }[],
  showLabels: boolean,
): string {
  const parts: string[] = [];
  const px = x + LABEL_W;
  const scale = (r: number) => (Math.min(r, MAX_RATIO) / MAX_RATIO) * PLOT_W;
  parts.push(`<text x="${px}" y="${y + 14}" font-weight="bold">${escape(title)}</text>`);
  rows.forEach((row, i) => {
    const by = y + TITLE_H + i * (BAR + GAP);
    if (showLabels)
      parts.push(`<text x="${px - 6}" y="${by + BAR - 2}" text-anchor="end">${escape(row.strategy)}</text>`);
    const w = Number.isFinite(row.ratio) ? scale(row.ratio) : 0;
    parts.push(
      `<rect x="${px}" y="${by}" width="${w.toFixed(1)}" height="${BAR}" fill="${colour(row.strategy)}"/>`,
    );
    const text = Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}×` : 'n/a';
    parts.push(`<text x="${(px + w + 4).toFixed(1)}" y="${by + BAR - 2}">${text}</text>`);
  });
  const h = rows.length * (BAR + GAP);
  for (const [r, dash] of [
    [1, ''],
    [1.15, ' stroke-dasharray="3,2"'],
  ] as const) {
    const lx = px + scale(r);
    parts.push(
      `<line x1="${lx.toFixed(1)}" y1="${y + TITLE_H - 2}" x2="${lx.toFixed(1)}" y2="${y + TITLE_H + h}" stroke="#c00"${dash}/>`,
    );
  }
  return parts.join('\n');
}

export function routingChart(results: readonly SimResult[]): string {
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const strategies = [...new Set(results.map((r) => r.strategy))];
  const panelH = TITLE_H + strategies.length * (BAR + GAP) + 16;
  const width = 2 * (LABEL_W + PLOT_W + 60);
  const height = 40 + scenarios.length * panelH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold">Routing quality relative to the oracle (1 = oracle; red dashed line: the 1.15× target; bars capped at ${MAX_RATIO}×)</text>`,
  ];
  scenarios.forEach((scenario, i) => {
    const y = 36 + i * panelH;
    const of = (s: string) => results.find((r) => r.scenario === scenario && r.strategy === s);
    const oracle = of('oracle');
    const rows = (metric: 'p99Ms' | 'costPer1kUSD') =>
      strategies.map((s) => ({ strategy: s, ratio: (of(s)?.[metric] ?? NaN) / (oracle?.[metric] ?? NaN) }));
    parts.push(panel(0, y, `${scenario}: p99 latency`, rows('p99Ms'), true));
    parts.push(
      panel(LABEL_W + PLOT_W + 60, y, `${scenario}: cost per 1k requests`, rows('costPer1kUSD'), true),
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
