import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { routedApp } from '../../core/express-app.ts';

/** Readiness as the API port's /readyz answers it. */
export interface Readiness {
  readonly status: 200 | 503;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * The sidecar's metrics port: Prometheus text on GET /metrics, and the same /healthz and /readyz as the API port
 * (in a pod this port listens on the pod IP for the kubelet's probes while the API stays on loopback); other paths
 * 404 and other methods 405, in JSON.
 */
export function metricsApp(registry: Registry, readiness?: () => Readiness): Express {
  return routedApp({
    '/metrics': {
      get: async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()),
    },
    ...(readiness === undefined
      ? {}
      : {
          '/healthz': { get: (_req, res) => void res.json({ status: 'ok' }) },
          '/readyz': {
            get: (_req, res) => {
              const { status, body } = readiness();
              res.status(status).json(body);
            },
          },
        }),
  });
}
