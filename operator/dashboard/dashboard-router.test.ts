import { afterEach, describe, expect, it } from '@jest/globals';
import { STRATEGY_NAMES } from '../../api/v1alpha1/providerpool.ts';
import express from 'express';
import { listenApp, type ListeningApp } from '../../core/express-app.ts';
import { createLogger } from '../../core/log.ts';
import { ControlError, type Fault, type FaultInjector, type PoolControls } from './controls.ts';
import { dashboardRouter, type DashboardOptions } from './dashboard-router.ts';
import { poolFromRecord, type DashboardPool } from './dashboard-state.ts';

let app: ListeningApp | undefined;
afterEach(() => app?.close());

const POOL: DashboardPool = poolFromRecord({
  namespace: 'default',
  name: 'chat',
  spec: undefined,
  status: { configVersion: 'v1' },
});

async function serve(options: Partial<DashboardOptions> = {}): Promise<string> {
  const server = express();
  server.use(dashboardRouter({ pools: () => [POOL], logger: createLogger({ level: 'error' }), ...options }));
  app = await listenApp(server, 0, '127.0.0.1');
  return `http://127.0.0.1:${app.port}`;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function recordingControls(): PoolControls & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    setStrategy: async (pool, strategy) => void calls.push(['strategy', pool, strategy]),
    setWeights: async (pool, weights) => void calls.push(['weights', pool, weights]),
  };
}

describe('the dashboard router', () => {
  it('serves the page, its script and uPlot from node_modules', async () => {
    const base = await serve();
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Switchboard dashboard</title>');
    expect((await fetch(`${base}/static/dashboard.js`)).status).toBe(200);
    expect((await fetch(`${base}/vendor/uplot/uPlot.esm.js`)).status).toBe(200);
    expect((await fetch(`${base}/static/nothing.js`)).status).toBe(404);
  });

  it('says it is read-only when no controls are given, and refuses changes with 403', async () => {
    const base = await serve();
    const state = (await (await fetch(`${base}/api/state`)).json()) as {
      readOnly: boolean;
      strategies: string[];
      pools: unknown[];
    };
    expect(state.readOnly).toBe(true);
    expect(state.strategies).toEqual([...STRATEGY_NAMES]);
    expect(state.pools).toHaveLength(1);
    const refused = await post(`${base}/api/pools/default/chat/strategy`, { type: 'round-robin' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: 'this dashboard is read-only' });
  });

  it('hands valid strategy and weight changes to the controls', async () => {
    const controls = recordingControls();
    const base = await serve({ controls });
    expect((await post(`${base}/api/pools/team-a/chat/strategy`, { type: 'cost-based' })).status).toBe(200);
    expect((await post(`${base}/api/pools/team-a/chat/weights`, { weights: { a: 2, b: 0 } })).status).toBe(
      200,
    );
    expect(controls.calls).toEqual([
      ['strategy', { namespace: 'team-a', name: 'chat' }, 'cost-based'],
      ['weights', { namespace: 'team-a', name: 'chat' }, { a: 2, b: 0 }],
    ]);
  });

  it.each([
    ['an unknown strategy', 'strategy', { type: 'fastest' }, /type: Invalid option/],
    ['a negative weight', 'weights', { weights: { a: -1 } }, /weights\.a: /],
    ['no weight at all', 'weights', { weights: {} }, /name at least one provider/],
    ['an unknown field', 'strategy', { type: 'adaptive', extra: 1 }, /Unrecognized key/],
  ])('refuses %s with a 400 naming the field', async (_name, path, body, message) => {
    const controls = recordingControls();
    const base = await serve({ controls });
    const res = await post(`${base}/api/pools/default/chat/${path}`, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
    expect(controls.calls).toEqual([]);
  });

  it('passes the status of a refusal from the controls on (an unknown pool is a 404)', async () => {
    const base = await serve({
      controls: {
        setStrategy: async () => {
          throw new ControlError(404, 'no ProviderPool default/nope');
        },
        setWeights: async () => undefined,
      },
    });
    const res = await post(`${base}/api/pools/default/nope/strategy`, { type: 'adaptive' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no ProviderPool default/nope' });
  });

  it('injects faults only through a fault capability, and lists its targets in the state', async () => {
    const injected: [string, Fault][] = [];
    const faults: FaultInjector = { targets: () => ['m1'], inject: (t, f) => void injected.push([t, f]) };
    const without = await serve({ controls: recordingControls() });
    expect((await post(`${without}/api/faults/m1`, { fault: 'outage' })).status).toBe(404);
    await app?.close();

    const base = await serve({ controls: recordingControls(), faults });
    expect(
      ((await (await fetch(`${base}/api/state`)).json()) as { faultTargets: string[] }).faultTargets,
    ).toEqual(['m1']);
    expect((await post(`${base}/api/faults/m1`, { fault: 'outage' })).status).toBe(200);
    expect((await post(`${base}/api/faults/m1`, { fault: 'meltdown' })).status).toBe(400);
    expect(injected).toEqual([['m1', 'outage']]);
  });

  it('pushes the state at once and then on every interval over SSE, until the page goes away', async () => {
    let reads = 0;
    const base = await serve({ pushIntervalMs: 50, pools: () => (reads++, [POOL]) });
    const abort = new AbortController();
    const res = await fetch(`${base}/api/events`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/event: state\n/g) ?? []).length < 2)
      text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const first = text.split('\n\n')[0] ?? '';
    expect(JSON.parse(first.replace('event: state\ndata: ', ''))).toMatchObject({
      pools: [{ name: 'chat' }],
    });
    await new Promise((r) => setTimeout(r, 100));
    const afterClose = reads;
    await new Promise((r) => setTimeout(r, 200));
    expect(reads).toBe(afterClose);
  });
});
