/**
 * The whole control loop against a real API server: the operator (in-process) serves the sync channel, two
 * sidecar processes take their pool from it and serve traffic, and the ProviderPool's status shows them and
 * what they measured — read back with kubectl, as a platform engineer would.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startMockProvider } from '../../mock-provider/server.ts';
import { silentLogger } from '../../core/log.ts';
import { startOperator } from '../../operator/operator.ts';
import { startClusterSidecar } from './support/cluster-sidecar.ts';
import { kubeconfigPath, kubectl, ok } from './support/kube.ts';
import { eventually, installCrds, poolAt, secret } from './support/providerpool.ts';
import { useNamespace } from './support/namespace.ts';

interface ProviderStatus {
  name: string;
  state: string;
  effectiveWeight?: number;
  requestRate?: number;
  errorRate?: number;
  latencyP50Ms?: number;
}

describe('a pool served by two sidecars, on a real API server', () => {
  const ns = useNamespace('fleet');
  const cleanups = useCleanups();
  beforeAll(installCrds);

  it('shows in status how many sidecars (authenticated by their ServiceAccount tokens) run the configuration and what they measured', async () => {
    const mock = await startMockProvider({ name: 'primary', apiKey: 'sk-test-not-a-real-key' });
    cleanups.push(() => mock.close());
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(secret)));
    const pool = poolAt(mock.url);
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool)));

    const operator = await startOperator({
      kubeconfig: kubeconfigPath(),
      namespace: ns.name,
      leaseNamespace: ns.name,
      identity: 'fleet-test',
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 300,
      port: null,
      syncPort: 0,
      roundMs: 500,
      statusIntervalMs: 500,
      logger: silentLogger,
    });
    cleanups.push(() => operator.stop());

    // The Secret as the injector mounts it: one file per key under the pool's secrets directory; and the pod's
    // projected ServiceAccount token for the operator (audience "switchboard"), checked by TokenReview.
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-fleet-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await ok(kubectl(['create', 'serviceaccount', 'app', '-n', ns.name]));
    const token = await ok(kubectl(['create', 'token', 'app', '-n', ns.name, '--audience', 'switchboard']));
    await writeFile(join(dir, 'token'), token.trim());
    await mkdir(join(dir, 'secrets', 'openai'), { recursive: true });
    await writeFile(join(dir, 'secrets', 'openai', 'api-key'), 'sk-test-not-a-real-key');
    const clients: OpenAI[] = [];
    for (const id of ['app-1', 'app-2']) {
      const { sidecar, url } = await startClusterSidecar({
        operator: String(operator.syncUrl),
        pool: `${ns.name}/chat`,
        id,
        dir,
        stateDir: join(dir, 'state'),
        tokenFile: join(dir, 'token'),
      });
      cleanups.push(() => sidecar.stop());
      clients.push(new OpenAI({ baseURL: url, apiKey: 'x', maxRetries: 2 }));
    }

    const connected = await eventually(ns.name, 'two sidecars on the configuration', (s) => {
      const counts = (s as { sidecars?: { onCurrentVersion?: number } }).sidecars;
      return (
        counts?.onCurrentVersion === 2 && s.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      );
    });
    expect(connected.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(
      /all 2 connected sidecars run/,
    );

    for (let i = 0; i < 20; i++) {
      for (const client of clients)
        await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    }
    const measured = await eventually(ns.name, 'provider numbers from both sidecars', (s) => {
      const p = s as { providers?: ProviderStatus[]; sidecars?: { reporting?: number } };
      return p.sidecars?.reporting === 2 && (p.providers?.[0]?.latencyP50Ms ?? 0) > 0;
    });
    const [primary] = (measured as { providers?: ProviderStatus[] }).providers ?? [];
    expect(primary).toMatchObject({ name: 'primary', state: 'Healthy', errorRate: 0 });
    expect(primary?.requestRate).toBeGreaterThan(0);
    expect(mock.stats.requests).toBe(40);

    const table = await ok(kubectl(['get', 'providerpools', '-n', ns.name]));
    expect(table).toMatch(/chat\s/);
  }, 90_000);
});
