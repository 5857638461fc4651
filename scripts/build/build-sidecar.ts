/**
 * `npm run build:sidecar`: bundles the sidecar command into dist/sidecar.mjs, which bin/switchboard.js runs for
 * `switchboard sidecar` while it is newer than every file it was built from (else it runs the TypeScript sources).
 *
 * Why a bundle, for the one process that runs in every pod: from the sources, Node loads ~140 TypeScript files
 * through its type stripper (whose WebAssembly alone holds ~18 MB) and ~700 files of dependencies, one module
 * resolution each; one plain-JavaScript file starts several times faster and holds far less. The bundle is ASCII
 * (V8 keeps a script's source, two bytes a character otherwise), without comments, with undici's core only
 * (undici-core.cjs), prom-client's metric classes only (prom-client-core.cjs), node:http2 loaded on first use
 * (http2-lazy.cjs) and node:fs/promises' functions from node:fs (fs-promises-lite.cjs). Identifiers keep their names, so stack traces stay readable.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { BUNDLE_INPUTS_FILE, SIDECAR_BUNDLE_FILE } from '../../bin/prebuilt.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The project's own files of the data plane (not their dependencies'), relative to the repository. */
const DATA_PLANE_SOURCE = /^(api|core|sidecar|cli)[\\/]/;

/**
 * Specifiers the bundle takes from files of scripts/build instead: `import … from 'undici'` becomes undici-core.cjs
 * and `'prom-client'` prom-client-core.cjs (exactly those specifiers; their own deep imports pass), undici's
 * HTTP/2 client gets a node:http2 that loads on first use (http2-lazy.cjs), and the data plane's own
 * `'node:fs/promises'` the same functions from node:fs (fs-promises-lite.cjs).
 */
export const lighterImports: Plugin = {
  name: 'lighter-imports',
  setup(b) {
    const here = (file: string) => ({ path: join(import.meta.dirname, file) });
    b.onResolve({ filter: /^undici$/ }, () => here('undici-core.cjs'));
    b.onResolve({ filter: /^prom-client$/ }, () => here('prom-client-core.cjs'));
    b.onResolve({ filter: /^node:fs\/promises$/ }, (args) =>
      DATA_PLANE_SOURCE.test(relative(ROOT, args.importer)) ? here('fs-promises-lite.cjs') : undefined,
    );
    b.onResolve({ filter: /^node:http2$/ }, (args) =>
      /undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/.test(args.importer)
        ? here('http2-lazy.cjs')
        : undefined,
    );
  },
};

/**
 * undici's marker for a bundled copy (Node's own defines it): its HTTP/1 client then leaves out the experimental
 * Milo parser, opt-in through UNDICI_USE_MILO, and always parses with llhttp, as without that variable. Milo's two
 * WebAssembly builds are ~150 KiB of the bundle's source, which V8 keeps in memory (~0.5 MiB idle RSS).
 */
export const BUNDLED_UNDICI: Readonly<Record<string, string>> = { esbuildDetection: 'true' };

/** How the sidecar is bundled (also by bench/data-plane/profile-sidecar.ts, which adds a source map). */
export const SIDECAR_BUILD_OPTIONS = {
  entryPoints: [join(ROOT, 'cli', 'sidecar-main.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  charset: 'ascii',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  define: BUNDLED_UNDICI,
  plugins: [lighterImports],
} as const satisfies BuildOptions;

export async function buildSidecarBundle(): Promise<{ file: string; bytes: number; inputs: number }> {
  const outfile = join(ROOT, SIDECAR_BUNDLE_FILE);
  const result = await build({ ...SIDECAR_BUILD_OPTIONS, outfile, metafile: true });
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
