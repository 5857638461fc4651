import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SidecarMetrics } from './metrics.ts';
import { metricsHandler } from './metrics-server.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  const metrics = new SidecarMetrics();
  metrics.configReloads.inc({ result: 'applied' });
  server = createServer(metricsHandler(metrics.registry));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the metrics port', () => {
  test.each([
    ['GET /metrics answers Prometheus text', 'GET', '/metrics', 200, 'text/plain', 'switchboard_'],
    ['a query string does not change the route', 'GET', '/metrics?x=1', 200, 'text/plain', 'switchboard_'],
    ['HEAD /metrics answers the headers without a body', 'HEAD', '/metrics', 200, 'text/plain', ''],
    [
      'another method on /metrics is a 405 in JSON',
      'POST',
      '/metrics',
      405,
      'application/json',
      'not allowed',
    ],
    ['another path is a 404 in JSON', 'GET', '/other', 404, 'application/json', 'no route GET /other'],
  ])('%s', async (_name, method, path, status, type, bodyHas) => {
    const res = await fetch(`${base}${path}`, { method });
    const body = await res.text();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain(type);
    if (bodyHas === '') expect(body).toBe('');
    else expect(body).toContain(bodyHas);
    if (status === 405) expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});
