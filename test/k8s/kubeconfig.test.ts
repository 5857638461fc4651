/**
 * The operator's configuration as users bring it: a kubeconfig whose user is an exec credential plugin (as EKS,
 * GKE and AKS kubeconfigs are), a context chosen with --context, and a server that cannot be reached.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../core/log.ts';
import { startOperator, type RunningOperator } from '../../operator/operator.ts';
import { binary, paths } from '../../scripts/cluster/paths.ts';
import { adminConfig, kubeconfigPath, kubectl, ok } from './support/kube.ts';
import { freePort } from './support/free-port.ts';
import { useNamespace } from './support/namespace.ts';
import { applyOperatorRole } from './support/operator-account.ts';
import { eventually, installCrds, pool, ready, secret } from './support/providerpool.ts';

const cli = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

/**
 * An exec credential plugin, as `aws eks get-token` is one: each call asks the API server (as admin, with the
 * pinned kubectl) for a fresh TokenRequest token of the ServiceAccount and prints it as an ExecCredential with its
 * expiry. Every call is counted in a file.
 */
const PLUGIN = `#!/bin/sh
set -e
echo call >> "$CALLS"
token=$("$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" create token "$ACCOUNT" -n "$NAMESPACE" --duration 10m)
expiry=$(date -u -d '+9 minutes' +%Y-%m-%dT%H:%M:%SZ)
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\\n' "$token" "$expiry"
`;

describe('kubeconfigs as users bring them', () => {
  const ns = useNamespace('kubeconfig');
  let dir: string;
  const running: RunningOperator[] = [];

  beforeAll(async () => {
    await installCrds();
    await applyOperatorRole();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((op) => op.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  /** A ServiceAccount bound to the operator's role in the test namespace, and a plugin that logs in as it. */
  async function execUser(): Promise<{ user: object; calls: () => Promise<number> }> {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-kubeconfig-'));
    await ok(kubectl(['create', 'serviceaccount', 'operator', '-n', ns.name]));
    await ok(
      kubectl([
        ...['create', 'rolebinding', 'operator', '-n', ns.name],
        ...['--clusterrole=switchboard-operator', `--serviceaccount=${ns.name}:operator`],
      ]),
    );
    const plugin = join(dir, 'get-token.sh');
    await writeFile(plugin, PLUGIN);
    await chmod(plugin, 0o755);
    const callsFile = join(dir, 'calls');
    const env = { CALLS: callsFile, KUBECTL: binary('kubectl'), ADMIN_KUBECONFIG: kubeconfigPath() };
    return {
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin,
          env: Object.entries({ ...env, ACCOUNT: 'operator', NAMESPACE: ns.name }).map(([name, value]) => ({
            name,
            value,
          })),
          interactiveMode: 'Never',
        },
      },
      calls: async () =>
        (await readFile(callsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
    };
  }

  /** Writes a kubeconfig with these contexts (name → server and user); the first is the current one. */
  async function writeKubeconfig(
    contexts: Record<string, { server: string; user: object }>,
  ): Promise<string> {
    const names = Object.keys(contexts);
    const file = join(dir, 'kubeconfig');
    const ca = join(paths.pkiDir, 'ca.crt');
    await writeFile(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': names[0],
        clusters: names.map((name) => ({
          name,
          cluster: { server: contexts[name]?.server, 'certificate-authority': ca },
        })),
        // The library caches exec credentials by user name, process-wide: names unique to the test.
        users: names.map((name) => ({ name: `${ns.name}-${name}`, user: contexts[name]?.user })),
        contexts: names.map((name) => ({
          name,
          context: { cluster: name, user: `${ns.name}-${name}`, namespace: ns.name },
        })),
      }),
    );
    return file;
  }

  const server = () => adminConfig().getCurrentCluster()?.server ?? '';
  const start = (kubeconfig: string, context?: string) =>
    startOperator({
      kubeconfig,
      ...(context === undefined ? {} : { context }),
      namespace: ns.name,
      identity: 'exec-operator',
      port: null,
      logger: silentLogger,
    }).then((op) => {
      running.push(op);
      return op;
    });

  it('runs as a ServiceAccount through an exec credential plugin and does its whole job', async () => {
    const { user, calls } = await execUser();
    const kubeconfig = await writeKubeconfig({ exec: { server: server(), user } });
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(secret)));
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(1))));

    const op = await start(kubeconfig);
    // Status written by server-side apply, as the ServiceAccount.
    const status = await eventually(ns.name, 'Ready', (s) => ready(s)?.status === 'True');
    expect(status.observedGeneration).toBe(1);
    const stored = JSON.parse(
      await ok(
        kubectl(['get', 'providerpool', 'chat', '-n', ns.name, '-o', 'json', '--show-managed-fields']),
      ),
    ) as { metadata: { managedFields: { manager: string; subresource?: string }[] } };
    expect(stored.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'switchboard-operator', subresource: 'status' }),
    );
    // The Lease (leader election) lives in the context's namespace.
    expect(op.isLeader()).toBe(true);
    const holder = await ok(
      kubectl([
        'get',
        'lease',
        'switchboard-operator',
        '-n',
        ns.name,
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]),
    );
    expect(holder).toBe('exec-operator');
    // Watches: a spec change is observed; Events are recorded.
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(2))));
    await eventually(ns.name, 'generation 2', (s) => s.observedGeneration === 2);
    const events = await ok(
      kubectl(['get', 'events', '-n', ns.name, '-o', 'jsonpath={.items[*].source.component}']),
    );
    expect(events).toContain('switchboard-operator');
    // The credential came from the plugin (cached until its expiry, so called once or a few times at start).
    expect(await calls()).toBeGreaterThan(0);
  });

  it('--context selects another context of the kubeconfig than its current one', async () => {
    const { user } = await execUser();
    // The current context points at a closed port: only the chosen one can work.
    const kubeconfig = await writeKubeconfig({
      unreachable: { server: `https://127.0.0.1:${await freePort()}`, user },
      cluster: { server: server(), user },
    });
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(secret)));
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(1))));
    await expect(start(kubeconfig)).rejects.toThrow('cannot reach the Kubernetes API server');
    await start(kubeconfig, 'cluster');
    await eventually(ns.name, 'Ready', (s) => ready(s)?.status === 'True');
    await expect(start(kubeconfig, 'elsewhere')).rejects.toThrow(
      'has no context "elsewhere" (it has: unreachable, cluster)',
    );
  });

  it('a kubeconfig pointing at a closed port fails at start with one clear line, not a stack trace', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-kubeconfig-'));
    const port = await freePort();
    const kubeconfig = await writeKubeconfig({
      down: { server: `https://127.0.0.1:${port}`, user: { token: 'x' } },
    });
    const child = spawn(process.execPath, [cli, 'operator', '--kubeconfig', kubeconfig, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      `switchboard: cannot reach the Kubernetes API server https://127.0.0.1:${port} (context "down"): ` +
        `fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });
});
