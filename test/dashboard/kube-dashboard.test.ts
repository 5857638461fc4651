/**
 * `switchboard dashboard --kubeconfig` as a process, against a small fake API server (the real kube-apiserver
 * tests live in test/k8s): the page's state comes from the ProviderPools' spec and status, read-only.
 */
import { describe, expect, it } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { listenApp } from '../../core/express-app.ts';
import { startCli } from '../support/cli-process.ts';

const cleanups = useCleanups();

const POOL = {
  apiVersion: 'switchboard.dev/v1alpha1',
  kind: 'ProviderPool',
  metadata: { name: 'chat', namespace: 'team-a' },
  spec: {
    strategy: { type: 'adaptive' },
    providers: [
      {
        name: 'a',
        type: 'openai',
        baseURL: 'https://a.example/v1',
        apiKey: { secretKeyRef: { name: 's', key: 'k' } },
        weight: 1,
        models: [{ name: 'chat', model: 'm' }],
      },
      {
        name: 'b',
        type: 'openai',
        baseURL: 'https://b.example/v1',
        apiKey: { secretKeyRef: { name: 's', key: 'k' } },
        weight: 1,
        models: [{ name: 'chat', model: 'm' }],
      },
    ],
  },
  status: {
    configVersion: 'abc123',
    sidecars: { connected: 3, reporting: 3, onCurrentVersion: 3 },
    providers: [
      { name: 'a', state: 'Healthy', effectiveWeight: 1.5, requestRate: 3, latencyP50Ms: 40 },
      { name: 'b', state: 'Unhealthy', effectiveWeight: 0.5, requestRate: 1 },
    ],
  },
};

async function fakeApiServer(): Promise<string> {
  const app = express();
  app.get('/version', (_req, res) => void res.json({ gitVersion: 'v1.36.3', major: '1', minor: '36' }));
  app.get(
    '/apis/switchboard.dev/v1alpha1/providerpools',
    (_req, res) =>
      void res.json({
        apiVersion: 'switchboard.dev/v1alpha1',
        kind: 'ProviderPoolList',
        metadata: {},
        items: [POOL],
      }),
  );
  const listening = await listenApp(app, 0, '127.0.0.1');
  cleanups.push(() => listening.close());
  return `http://127.0.0.1:${listening.port}`;
}

describe('switchboard dashboard against a cluster', () => {
  it('serves the pools’ spec and status read-only (effective weights, traffic shares, states) and refuses changes', async () => {
    const server = await fakeApiServer();
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-kube-dashboard-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'me', user: { token: 'not-checked' } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'me' } }],
        'current-context': 'fake',
      }),
    );
    const cli = startCli(['dashboard', '--kubeconfig', kubeconfig, '--port', '0']);
    cleanups.push(() => cli.stop());
    const url = String((await cli.waitForLog('dashboard listening', 15_000)).url);

    expect((await fetch(url)).status).toBe(200);
    const state = (await (await fetch(`${url}api/state`)).json()) as {
      readOnly: boolean;
      pools: {
        name: string;
        configVersion: string;
        providers: { name: string; effectiveWeight: number; trafficShare: number; state: string }[];
      }[];
    };
    expect(state.readOnly).toBe(true);
    expect(state.pools).toMatchObject([
      {
        name: 'chat',
        configVersion: 'abc123',
        providers: [
          { name: 'a', effectiveWeight: 1.5, trafficShare: 0.75, state: 'Healthy' },
          { name: 'b', effectiveWeight: 0.5, trafficShare: 0.25, state: 'Unhealthy' },
        ],
      },
    ]);
    const refused = await fetch(`${url}api/pools/team-a/chat/weights`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ weights: { a: 2 } }),
    });
    expect(refused.status).toBe(403);
  }, 30_000);
});
