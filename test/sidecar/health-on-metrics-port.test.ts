/**
 * In a pod the kubelet probes the sidecar on the pod IP, while its API stays on loopback: the metrics port (its
 * own listen address, 0.0.0.0 there) answers /healthz and /readyz as the API port does.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { startSidecar, type RunningSidecar } from '../../sidecar/sidecar.ts';
import { silentLogger } from '../../core/log.ts';
import type { PoolSource } from '../../sidecar/source/pool-source.ts';
import { startHarness, type Harness } from '../support/sidecar-harness.ts';

let harness: Harness | undefined;
let sidecar: RunningSidecar | undefined;
afterEach(async () => {
  await harness?.close();
  await sidecar?.close();
});

const base = (metricsUrl: string | undefined) => String(metricsUrl).replace(/\/metrics$/, '');

describe('health on the metrics port', () => {
  test('a sidecar with a pool answers ready on both ports, with the metrics port on its own address', async () => {
    harness = await startHarness([{ name: 'a' }], undefined, { metricsHost: '0.0.0.0' });
    const metrics = base(harness.sidecar.metricsUrl);
    expect(metrics).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const port = new URL(metrics).port;
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: 'ok' }]);
    const fromMetrics = await fetch(`http://127.0.0.1:${port}/readyz`);
    const fromApi = await fetch(`${new URL(harness.sidecar.url).origin}/readyz`);
    expect(await fromMetrics.json()).toEqual(await fromApi.json());
    expect(fromMetrics.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
  });

  test('a sidecar with no pool yet is live but not ready, and says why', async () => {
    const waiting: PoolSource = {
      description: 'a source that never delivers',
      start: () => Promise.resolve(),
      close: () => Promise.resolve(),
      problem: () => 'no ProviderPool team/ghost is known to the operator',
    };
    sidecar = await startSidecar({ source: waiting, port: 0, metricsPort: 0, logger: silentLogger });
    const metrics = base(sidecar.metricsUrl);
    expect((await fetch(`${metrics}/healthz`)).status).toBe(200);
    const readyz = await fetch(`${metrics}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({
      status: 'not ready',
      reason: 'no ProviderPool team/ghost is known to the operator',
    });
  });
});
