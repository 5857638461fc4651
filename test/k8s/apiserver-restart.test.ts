/**
 * The operator across a real API server restart: a private kube-apiserver (its own data dir and port, so the
 * shared test server is untouched) is killed and started again under the running operator, whose watches
 * break; the operator must resume and observe a change made after the restart.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary, toolEnv } from '../../scripts/cluster/paths.ts';
import { silentLogger } from '../../core/log.ts';
import { CustomObjectsApi, Health, type KubeConfig } from '@kubernetes/client-node';
import { PROVIDER_POOLS } from '../../operator/kube/collections.ts';
import { loadKubeConfig } from '../../operator/kube/kube-config.ts';
import { SERVER_SIDE_APPLY } from '../../operator/kube/patch-options.ts';
import { startOperator, type RunningOperator } from '../../operator/operator.ts';
import { freePort } from './support/free-port.ts';

const crdDir = fileURLToPath(new URL('../../crds/', import.meta.url));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary('kubectl'), args, { env: toolEnv(kubeconfig) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(err || `kubectl exit ${code}`)),
    );
  });
}

const pool = (weight: number) => ({
  apiVersion: 'switchboard.dev/v1alpha1',
  kind: 'ProviderPool',
  metadata: { name: 'chat', namespace: 'default' },
  spec: {
    providers: [
      {
        name: 'p',
        type: 'openai',
        baseURL: 'http://vllm:8000/v1',
        weight,
        models: [{ name: 'chat', model: 'm' }],
      },
    ],
  },
});

describe('an API server restart under the operator', () => {
  let dir: string;
  let port: number;
  let kubeconfig: string;
  let server: ChildProcess | undefined;
  let config: KubeConfig;
  const pools = () => config.makeApiClient(CustomObjectsApi);
  const applyPool = async (weight: number): Promise<{ metadata: { generation: number } }> =>
    (await pools().patchNamespacedCustomObject(
      { ...PROVIDER_POOLS, namespace: 'default', name: 'chat', body: pool(weight), fieldManager: 'test' },
      SERVER_SIDE_APPLY,
    )) as { metadata: { generation: number } };
  let operator: RunningOperator | undefined;

  const startServer = async () => {
    server = spawn(
      binary('switchboard-apiserver'),
      ['-data-dir', dir, '-kubeconfig', kubeconfig, '-port', String(port)],
      {
        stdio: 'ignore',
      },
    );
    const probe = await until('the kubeconfig', async () => loadKubeConfig({ kubeconfig }));
    await until('/readyz', () => new Health(probe).readyz({}).then((ready) => ready || undefined));
  };
  // SIGKILL, as a crash: a graceful stop waits up to a minute for open watches to drain.
  const stopServer = async () => {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server?.kill('SIGKILL');
    await exited;
    server = undefined;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-restart-'));
    kubeconfig = join(dir, 'kubeconfig');
    port = await freePort();
    await startServer();
    config = loadKubeConfig({ kubeconfig });
    await kubectl(kubeconfig, ['apply', '--server-side', '-f', crdDir]);
    await kubectl(kubeconfig, [
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/providerpools.switchboard.dev',
    ]);
  }, 120_000);

  afterAll(async () => {
    await operator?.stop({ release: false });
    if (server) await stopServer();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('resumes its watches and observes a change made after the restart', async () => {
    await applyPool(1);
    operator = await startOperator({
      kubeconfig,
      namespace: 'default',
      leaseNamespace: 'default',
      identity: 'restart-test',
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 300,
      port: null,
      logger: silentLogger,
    });
    const generationObserved = (g: number) => () =>
      pools()
        .getNamespacedCustomObject({ ...PROVIDER_POOLS, namespace: 'default', name: 'chat' })
        .then((p: { status?: { observedGeneration?: number } }) =>
          p.status?.observedGeneration === g ? true : undefined,
        );
    await until('generation 1 observed', generationObserved(1));

    await stopServer();
    await startServer();

    const after = await applyPool(2);
    expect(after.metadata.generation).toBe(2);
    await until('generation 2 observed after the restart', generationObserved(2), 90_000);
    expect(operator.isLeader()).toBe(true);
  }, 180_000);
});
