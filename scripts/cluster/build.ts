/** `npm run cluster:build`: builds (or finds cached) switchboard-apiserver, kubectl and helm in .switchboard/bin/. */
import { ensureBinaries } from './binaries.ts';
import { binary } from './paths.ts';
import { say } from './say.ts';

try {
  await ensureBinaries();
  say(`binaries ready: ${binary('switchboard-apiserver')}, ${binary('kubectl')}, ${binary('helm')}`);
} catch (err) {
  process.stderr.write(`cluster:build failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
