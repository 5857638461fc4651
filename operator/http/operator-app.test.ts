import { afterEach, describe, expect, test } from '@jest/globals';
import { Gauge, Registry } from 'prom-client';
import { listenApp, type ListeningApp } from '../../core/express-app.ts';
import { operatorApp } from './operator-app.ts';

let app: ListeningApp | undefined;
afterEach(() => app?.close());

async function serve(ready: boolean): Promise<string> {
  const registry = new Registry();
  const depth = new Gauge({ name: 'depth', help: 'a gauge set before each scrape', registers: [registry] });
  app = await listenApp(
    operatorApp({ ready: () => ready, registry, beforeScrape: () => depth.set(7) }),
    0,
    '127.0.0.1',
  );
  return `http://127.0.0.1:${app.port}`;
}

describe("the operator's endpoints", () => {
  test.each([
    ['healthz is ok while the process runs', false, '/healthz', 200, 'ok'],
    ['readyz is 503 until the informers have synced', false, '/readyz', 503, 'syncing'],
    ['readyz is ok once they have', true, '/readyz', 200, 'ok'],
    ['metrics are refreshed before each scrape', true, '/metrics', 200, 'depth 7'],
  ])('%s', async (_sentence, ready, path, status, text) => {
    const response = await fetch((await serve(ready)) + path);
    expect(response.status).toBe(status);
    expect(await response.text()).toContain(text);
  });
});
