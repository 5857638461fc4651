/**
 * Writes crds/providerpools.switchboard.dev.yaml and the Helm chart's copy from the zod schemas in api/v1alpha1/.
 *   node scripts/crd/generate-crd.ts          write the files
 *   node scripts/crd/generate-crd.ts --check  exit 1 when a committed file differs from what would be written
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { CRD_FILES, renderCrd } from './render.ts';

async function main(args: readonly string[]): Promise<number> {
  const check = args.includes('--check');
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`usage: generate-crd.ts [--check] (unknown: ${unknown.join(' ')})\n`);
    return 2;
  }
  let stale = 0;
  for (const path of CRD_FILES) {
    const wanted = await renderCrd(path);
    const file = relative(process.cwd(), path);
    if (!check) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, wanted);
      process.stdout.write(`wrote ${file}\n`);
      continue;
    }
    const committed = await readFile(path, 'utf8').catch(() => undefined);
    if (committed === wanted) {
      process.stdout.write(`${file} is up to date\n`);
      continue;
    }
    stale += 1;
    process.stderr.write(
      `${file} is ${committed === undefined ? 'missing' : 'stale'}: run \`npm run crd:generate\` ` +
        `and review \`git diff ${file}\`\n`,
    );
  }
  return stale === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
