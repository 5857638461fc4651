/**
 * `npm run build:sidecar`: bundles the sidecar command into dist/sidecar.mjs, which bin/switchboard.js runs for
 * `switchboard sidecar` while it is newer than every file it was built from (else it runs the TypeScript sources).
 *
 * Why a bundle, for the one process that runs in every pod: from the sources, Node loads ~140 TypeScript files
 * through its type stripper (whose WebAssembly alone holds ~18 MB) and ~700 files of dependencies, one module
 * resolution each; one plain-JavaScript file starts several times faster and holds far less. The bundle is ASCII
 * (V8 keeps a script's source, two bytes a character otherwise), without comments, and with undici's core only
 * (undici-core.cjs). Identifiers keep their names, so stack traces stay readable.
 */
import { build, type Plugin } from 'esbuild';
import { stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { BUNDLE_INPUTS_FILE, SIDECAR_BUNDLE_FILE } from '../../bin/prebuilt.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** `import … from 'undici'` (exactly that specifier) becomes undici-core.cjs; its own deep imports pass. */
const undiciCore: Plugin = {
  name: 'undici-core',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: join(import.meta.dirname, 'undici-core.cjs') }));
  },
};

export async function buildSidecarBundle(): Promise<{ file: string; bytes: number; inputs: number }> {
  const outfile = join(ROOT, SIDECAR_BUNDLE_FILE);
  const result = await build({
    entryPoints: [join(ROOT, 'cli', 'sidecar-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    charset: 'ascii',
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [undiciCore],
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(ROOT, p)));
  // The lock file stands for the dependencies' versions: a new `npm ci` makes the bundle stale too.
  await writeFile(join(ROOT, BUNDLE_INPUTS_FILE), JSON.stringify([...inputs, 'package-lock.json']) + '\n');
  return { file: outfile, bytes: (await stat(outfile)).size, inputs: inputs.length };
}

if (import.meta.main) {
  const built = await buildSidecarBundle();
  process.stdout.write(
    `${relative(ROOT, built.file)}: ${(built.bytes / 1024).toFixed(0)} KiB from ${built.inputs} files\n`,
  );
}
