/**
 * Renders the headline table, the footprint table and the chart again from a results file, without measuring:
 *
 *   node bench/data-plane/render.ts [bench/results/data-plane-latest.json] [--write]
 *
 * With --write, updates bench/results/headline.md and docs/benchmarks-data-plane.svg; otherwise prints.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderChart, renderFootprint, renderHeadline } from './headline.ts';
import type { RunResults } from './results.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const file =
  args.find((a) => !a.startsWith('--')) ?? join(REPO, 'bench', 'results', 'data-plane-latest.json');
const run = JSON.parse(await readFile(file, 'utf8')) as RunResults;
const headline = renderHeadline(run) + '\n' + renderFootprint(run);
if (args.includes('--write')) {
  await writeFile(join(REPO, 'bench', 'results', 'headline.md'), headline);
  await writeFile(join(REPO, 'docs', 'benchmarks-data-plane.svg'), renderChart(run));
} else {
  process.stdout.write(headline);
}
