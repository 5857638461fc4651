/**
 * The operator in local mode: ProviderPools from a directory instead of the API server, the same reconcile,
 * fleet rounds and sync channel, status written to files. For one machine and the demo: no cluster, and the
 * sync channel listens on loopback only, without tokens.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPORT_RETENTION_MS } from '../control/fleet-round.ts';
import express from 'express';
import { Registry } from 'prom-client';
import type { Logger } from '../../core/log.ts';
import { PoolLoop, type PoolView } from '../control/pool-loop.ts';
import type { FleetRoundSettings } from '../control/fleet-round.ts';
import type { PoolObject } from '../reconcile/reconcile-pool.ts';
import type { SecretIndex } from '../reconcile/secret-references.ts';
import type { ProviderPoolStatus } from '../../api/v1alpha1/providerpool-status.ts';
import { SyncHub, poolKeyString, type PoolKey } from '../sync/sync-hub.ts';
import { SyncMetrics } from '../sync/sync-metrics.ts';
import { loopbackOnly, syncRoutes } from '../sync/sync-routes.ts';
import { systemScheduler, type Scheduler } from '../timing/scheduler.ts';
import { PoolDirectory } from './pool-directory.ts';
import { StatusDirectory } from './status-directory.ts';

export interface LocalOperatorOptions {
  /** Directory of ProviderPool manifests (*.yaml); statuses go to DIR/status/. */
  readonly dir: string;
  /** Loopback address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port of the sync channel, /healthz, /readyz and /metrics; 0 picks a free one. */
  readonly port: number;
  readonly logger: Logger;
  readonly scheduler?: Scheduler;
  /** How often each pool's fleet round runs (default 2 s). */
  readonly roundMs?: number;
  /** Shortest time between two status writes of a pool (default 2 s; files are cheap). */
  readonly statusIntervalMs?: number;
  readonly settings?: FleetRoundSettings;
  /** Add more routes (the dashboard) to the operator's server. */
  readonly extend?: (app: express.Express, context: LocalOperatorContext) => void;
}

export interface LocalOperatorContext {
  readonly hub: SyncHub;
  readonly statuses: StatusDirectory;
  /** The pool directory (the dashboard's controls edit its files). */
  readonly dir: string;
  pools(): ReadonlyMap<string, PoolObject>;
  /** Each pool's latest computed state, for dashboards. */
  views(): PoolView[];
}

export interface RunningLocalOperator extends LocalOperatorContext {
  /** Base URL of the sync channel, e.g. http://127.0.0.1:7070 */
  readonly url: string;
  /** Re-reads the pool directory now (the watcher does it on its own). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

const NO_SECRETS: SecretIndex = new Map();

export async function startLocalOperator(options: LocalOperatorOptions): Promise<RunningLocalOperator> {
  const { logger } = options;
  const host = options.host ?? '127.0.0.1';
  const scheduler = options.scheduler ?? systemScheduler;
  const directory = new PoolDirectory(options.dir, logger);
  const statuses = new StatusDirectory(options.dir);
  const loops = new Map<string, PoolLoop>();
  let pools: ReadonlyMap<string, PoolObject> = new Map();

  const hub = new SyncHub({
    scheduler,
    reportRetentionMs: REPORT_RETENTION_MS,
    onReport: (key, report) => loops.get(poolKeyString(key))?.onReport(report),
    unknownPool: (key) => ({
      reason: 'PoolNotFound',
      message: `no ProviderPool ${poolKeyString(key)} in ${options.dir} (a file there with kind ProviderPool, metadata.name "${key.name}" and namespace "${key.namespace}")`,
    }),
  });
  const registry = new Registry();
  const metrics = new SyncMetrics(registry, hub);

  const deps = {
    hub,
    scheduler,
    logger,
    writeStatus: async (key: PoolKey, status: ProviderPoolStatus) => {
      await statuses.write(key, status);
      return true;
    },
    roundMs: options.roundMs ?? 2_000,
    statusIntervalMs: options.statusIntervalMs ?? 2_000,
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  };

  let loaded = false;
  const reload = async (): Promise<void> => {
    const next = await directory.load();
    for (const [key, loop] of loops) {
      if (next.has(key)) continue;
      loop.stop();
      loops.delete(key);
      await statuses.remove(loop.key);
      logger.info('pool removed', { pool: key });
    }
    for (const [key, pool] of next) {
      const loop = loops.get(key);
      if (loop === undefined) loops.set(key, new PoolLoop(pool, NO_SECRETS, deps));
      else if (pools.get(key)?.metadata.generation !== pool.metadata.generation)
        loop.update(pool, NO_SECRETS);
    }
    pools = next;
    loaded = true;
  };
  await reload();
  const stopWatching = directory.watch(() => {
    reload().catch((err: unknown) =>
      logger.error('pool directory not read', { error: err instanceof Error ? err.message : String(err) }),
    );
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req, res) => {
    res
      .status(loaded ? 200 : 503)
      .type('text/plain')
      .send(loaded ? 'ok' : 'loading pools');
  });
  app.get('/metrics', (_req, res, next) => {
    registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
  });
  app.use(
    syncRoutes({ hub, auth: loopbackOnly, logger, onRefused: (status) => metrics.refused.inc({ status }) }),
  );
  const context: LocalOperatorContext = {
    hub,
    statuses,
    dir: options.dir,
    pools: () => pools,
    views: () => [...loops.values()].map((loop) => loop.view()),
  };
  options.extend?.(app, context);

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, host, () => resolve(s));
    s.once('error', reject);
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  logger.info('operator running in local mode', { dir: options.dir, url, pools: pools.size });

  return {
    ...context,
    url,
    reload,
    async close() {
      stopWatching();
      for (const loop of loops.values()) loop.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
