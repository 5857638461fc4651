// The prebuilt sidecar bundle (npm run build:sidecar), used only while it is newer than every file it came from,
// so that an edit of the sources is never hidden by an old bundle. Plain JavaScript: checking must not load the
// TypeScript stripper the bundle is there to avoid.
import { join, resolve, sep } from 'node:path';

// Not `import … from 'node:fs'`: the ES-module facade of a built-in reads every export, and fs's `promises` getter
// then loads Node's fs/promises with readline and the REPL's history (13 modules, ~0.6 MiB the sidecar keeps).
const { readFileSync, statSync } = process.getBuiltinModule('node:fs');

export const SIDECAR_BUNDLE_FILE = 'dist/sidecar.cjs';
export const BUNDLE_INPUTS_FILE = 'dist/sidecar.inputs.json';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The bundle's path when it exists and is up to date; otherwise undefined, with the reason on stderr when a stale
 * bundle is there (a missing one is the normal case in development).
 */
export function freshSidecarBundle() {
  const bundle = join(ROOT, SIDECAR_BUNDLE_FILE);
  let builtAt;
  let inputs;
  try {
    builtAt = statSync(bundle).mtimeMs;
    inputs = JSON.parse(readFileSync(join(ROOT, BUNDLE_INPUTS_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  for (const input of inputs) {
    let changedAt;
    try {
      // Not join(): its path normalisation, run for every one of several hundred inputs at each start, is hot
      // enough for V8 to optimise it with TurboFan, which pages ~5 MiB of the compiler's code into memory.
      changedAt = statSync(`${ROOT}${sep}${input}`).mtimeMs;
    } catch {
      changedAt = Infinity; // gone: the bundle no longer matches the tree
    }
    if (changedAt > builtAt) {
      process.stderr.write(
        `switchboard: ${SIDECAR_BUNDLE_FILE} is older than ${input}; running the sources (npm run build:sidecar rebuilds it)\n`,
      );
      return undefined;
    }
  }
  return bundle;
}
