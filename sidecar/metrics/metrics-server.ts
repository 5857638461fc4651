import type { Registry } from 'prom-client';
import { listenApp, routedApp, type ListeningApp } from '../core/express-app.ts';

/** The sidecar's metrics port: Prometheus text on GET /metrics; other paths 404 and other methods 405, in JSON. */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host: string,
): Promise<ListeningApp> {
  const app = routedApp({
    '/metrics': {
      get: async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()),
    },
  });
  return listenApp(app, port, host);
}
