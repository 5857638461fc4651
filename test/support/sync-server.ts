/**
 * The operator's sync channel alone, for tests: a hub, its express routes on 127.0.0.1 and its metrics (refusals
 * counted as the operator counts them), and pool content.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Registry } from 'prom-client';
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import type { Report } from '../../api/sync/sync-protocol.ts';
import { configVersion } from '../../operator/reconcile/desired-config.ts';
import { SyncHub, type PoolContent } from '../../operator/sync/sync-hub.ts';
import { SyncMetrics } from '../../operator/sync/sync-metrics.ts';
import { syncRoutes, type SyncRoutesOptions } from '../../operator/sync/sync-routes.ts';
import { systemScheduler } from '../../operator/timing/scheduler.ts';
import { silentLogger } from '../../core/log.ts';

export interface SyncServer {
  readonly hub: SyncHub;
  readonly url: string;
  readonly metrics: SyncMetrics;
  close(): Promise<void>;
}

export type SyncServerOptions = Pick<SyncRoutesOptions, 'auth'> &
  Partial<Pick<SyncRoutesOptions, 'logger'>> & {
    /** 0 (the default) picks a free port. */
    readonly port?: number;
  };

export async function startSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const hub = new SyncHub({ scheduler: systemScheduler, debounceMs: 20, reportRetentionMs: 60_000 });
  const metrics = new SyncMetrics(new Registry(), hub);
  const app = express();
  app.use(
    syncRoutes({
      hub,
      auth: options.auth,
      logger: options.logger ?? silentLogger,
      heartbeatMs: 200,
      onRefused: (status) => metrics.refused.inc({ status }),
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  return {
    hub,
    metrics,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A pool of openai providers with one model "chat", and the weights the operator would push. */
export function poolContent(providers: string[], weights: Record<string, number> = {}): PoolContent {
  const spec = ProviderPoolSpecSchema.parse({
    providers: providers.map((name) => ({
      name,
      type: 'openai',
      baseURL: `http://${name}.test/v1`,
      models: [{ name: 'chat', model: 'm' }],
    })),
  });
  return { configVersion: configVersion(spec), spec, weights, cooldowns: [], quotas: new Map() };
}

/** A report of a sidecar that sent nothing in its window. */
export const emptyReport = (sidecar: string, windowEnd = Date.now()): Report => ({
  sidecar,
  windowStart: 1,
  windowEnd,
  targets: [],
  cooldowns: [],
});
