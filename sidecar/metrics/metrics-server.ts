import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { routedApp } from '../../core/express-app.ts';

/** The sidecar's metrics port: Prometheus text on GET /metrics; other paths 404 and other methods 405, in JSON. */
export function metricsApp(registry: Registry): Express {
  return routedApp({
    '/metrics': {
      get: async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()),
    },
  });
}
