/**
 * Child process: a standalone Switchboard sidecar on a free port, reading `--pool FILE`, with no metrics endpoint,
 * no file watching and no logs. Writes one JSON line with its base URL, then serves until SIGTERM.
 */
import { parseArgs } from 'node:util';
import { silentLogger } from '../../sidecar/core/log.ts';
import { startSidecar } from '../../sidecar/sidecar.ts';

const { values } = parseArgs({ options: { pool: { type: 'string' } } });
if (values.pool === undefined) throw new Error('--pool is required');

const sidecar = await startSidecar({
  poolFile: values.pool,
  port: 0,
  metricsPort: null,
  watch: false,
  logger: silentLogger,
});
process.stdout.write(JSON.stringify({ url: sidecar.url }) + '\n');

const stop = (): void => {
  void sidecar.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
