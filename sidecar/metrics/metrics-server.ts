import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * The sidecar's metrics port: Prometheus text on GET (and HEAD) /metrics; other paths 404 and other methods 405 (with
 * Allow), in JSON. Plain node:http rather than express (core/express-app.ts, which the operator's ports use): one
 * route does not need a router, and express with its dependencies is about a fifth of the sidecar's idle memory,
 * paid in every pod (bench/results/footprint.md).
 */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') return json(res, 404, { error: `no route ${req.method ?? ''} ${path ?? ''}` });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: `method ${req.method ?? ''} not allowed on /metrics; use GET, HEAD` });
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
