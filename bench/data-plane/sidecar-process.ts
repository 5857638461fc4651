/**
 * Child process: a standalone Switchboard sidecar on a free port, reading `--pool FILE`, with no metrics endpoint,
 * no file watching and no logs. Writes one JSON line with its base URL, then serves until SIGTERM.
 *
 * `--http=express` serves the same request handler behind an express app whose routes come from the sidecar's
 * endpoint table, on a port of its own (the sidecar's node:http port stays idle): what moving the proxy path to
 * express would cost, measured next to today's node:http routing.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DEFAULT_HTTP_LIMITS } from '../../sidecar/server/http-limits.ts';
import express from 'express';
import { systemClock, systemRng } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { PROXIED_ENDPOINTS } from '../../sidecar/server/endpoints.ts';
import { createRequestHandler } from '../../sidecar/server/routes.ts';
import { startSidecar, type RunningSidecar } from '../../sidecar/sidecar.ts';

const { values } = parseArgs({
  options: { pool: { type: 'string' }, http: { type: 'string', default: 'node' } },
});
if (values.pool === undefined) throw new Error('--pool is required');
if (values.http !== 'node' && values.http !== 'express') throw new Error('--http is node or express');

const sidecar = await startSidecar({
  poolFile: values.pool,
  port: 0,
  metricsPort: null,
  watch: false,
  logger: silentLogger,
});
const front = values.http === 'express' ? await expressFront(sidecar) : undefined;
const url = front ? `http://127.0.0.1:${(front.address() as AddressInfo).port}/v1` : sidecar.url;
process.stdout.write(JSON.stringify({ url }) + '\n');

const stop = (): void => {
  front?.close();
  void sidecar.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

async function expressFront(running: RunningSidecar): Promise<Server> {
  const handle = createRequestHandler({
    runtime: () => running.runtime(),
    clock: systemClock,
    rng: systemRng,
    metrics: running.metrics,
    logger: silentLogger,
    limits: DEFAULT_HTTP_LIMITS,
  });
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  for (const path of Object.keys(PROXIED_ENDPOINTS)) app.post(path, (req, res) => handle(req, res));
  app.get('/v1/models', (req, res) => handle(req, res));
  const server = app.listen(0, '127.0.0.1');
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}
