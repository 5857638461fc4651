// The prebuilt sidecar bundle (npm run build:sidecar), used only while it is newer than every file it came from,
// so that an edit of the sources is never hidden by an old bundle. Plain JavaScript: checking must not load the
// TypeScript stripper the bundle is there to avoid.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
      changedAt = statSync(join(ROOT, input)).mtimeMs;
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
