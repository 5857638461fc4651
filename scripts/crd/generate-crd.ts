/**
 * Writes crds/providerpools.switchboard.dev.yaml from the zod schemas in api/v1alpha1/.
 *   node scripts/crd/generate-crd.ts          write the file
 *   node scripts/crd/generate-crd.ts --check  exit 1 when the committed file differs from what would be written
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { CRD_FILE, renderCrd } from './render.ts';

async function main(args: readonly string[]): Promise<number> {
  const check = args.includes('--check');
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`usage: generate-crd.ts [--check] (unknown: ${unknown.join(' ')})\n`);
    return 2;
  }
  const wanted = await renderCrd();
  const file = relative(process.cwd(), CRD_FILE);
  if (check) {
    const committed = await readFile(CRD_FILE, 'utf8').catch(() => undefined);
    if (committed === wanted) {
      process.stdout.write(`${file} is up to date\n`);
      return 0;
    }
    process.stderr.write(
      `${file} is ${committed === undefined ? 'missing' : 'stale'}: run \`npm run crd:generate\` ` +
        `and review \`git diff ${file}\`\n`,
    );
    return 1;
  }
  await mkdir(dirname(CRD_FILE), { recursive: true });
  await writeFile(CRD_FILE, wanted);
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
