/** `npm run cluster:up`: builds the pinned binaries if needed and starts the local API server unless it runs. */
import { clusterUp } from './server.ts';

try {
  await clusterUp();
} catch (err) {
  process.stderr.write(`cluster:up failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
