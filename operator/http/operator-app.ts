import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { routedApp } from '../../core/express-app.ts';

export interface OperatorAppDeps {
  /** True once the informers have synced. */
  readonly ready: () => boolean;
  readonly registry: Registry;
  /** Called before each scrape, to refresh gauges that are read rather than counted. */
  readonly beforeScrape?: () => void;
}

/** The operator's own endpoints: liveness, readiness (informers synced) and Prometheus metrics. */
export function operatorApp(deps: OperatorAppDeps): Express {
  return routedApp({
    '/healthz': { get: (_req, res) => void res.type('text').send('ok') },
    '/readyz': {
      get: (_req, res) =>
        void res
          .status(deps.ready() ? 200 : 503)
          .type('text')
          .send(deps.ready() ? 'ok' : 'syncing'),
    },
    '/metrics': {
      get: async (_req, res) => {
        deps.beforeScrape?.();
        res.type(deps.registry.contentType).send(await deps.registry.metrics());
      },
    },
  });
}
