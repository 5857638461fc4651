/** `npm run cluster:down`: stops the local API server and removes its state (the built binaries stay). */
import { clusterDown } from './server.ts';

try {
  await clusterDown();
} catch (err) {
  process.stderr.write(`cluster:down failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
