import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** Readiness as the API port's /readyz answers it. */
export interface Readiness {
  readonly status: 200 | 503;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * The sidecar's metrics port: Prometheus text on GET (and HEAD) /metrics, and the same /healthz and /readyz as the
 * API port (in a pod this port listens on the pod IP for the kubelet's probes while the API stays on loopback);
 * other paths 404 and other methods 405 (with Allow), in JSON. Plain node:http rather than express
 * (core/express-app.ts, which the operator's ports use): three routes do not need a router, and express with its
 * dependencies is about a fifth of the sidecar's idle memory, paid in every pod (docs/benchmarks.md).
 */
export function metricsHandler(
  registry: Registry,
  readiness?: () => Readiness,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const probe = readiness !== undefined && (path === '/healthz' || path === '/readyz');
    if (path !== '/metrics' && !probe)
      return json(res, 404, { error: `no route ${req.method ?? ''} ${path}` });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: `method ${req.method ?? ''} not allowed on ${path}; use GET, HEAD` });
    }
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz' && readiness !== undefined) {
      const { status, body } = readiness();
      return json(res, status, body);
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': Buffer.byteLength(text),
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => json(res, 500, { error: 'internal error' }),
    );
  };
}

function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
