/**
 * The injection webhook and the operator's own certificates on the real API server. The operator runs in-process
 * as a ServiceAccount bound to rbac/operator-clusterrole.yaml (so the new rules are proven enough), with managed
 * certificates whose serving certificate lives 10 s (renewed about every 7 s, so every test here runs across
 * rotations); its webhook listens on 127.0.0.1, which the serving certificate names for the API server to verify.
 * A MutatingWebhookConfiguration with an empty caBundle points at it; the operator patches the caBundle.
 *
 * What the chart installs (its injection config, RBAC, webhook configuration and the Deployment's flags, with the
 * stored pod's every field and its sidecar run as a process up to a chat completion) is chart-install.test.ts;
 * this file keeps what needs two in-process replicas or a hand-made webhook configuration.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Container,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { silentLogger } from '../../core/log.ts';
import { startOperator, type RunningOperator } from '../../operator/operator.ts';
import { parseInjectionConfig } from '../../operator/webhook/injection-config.ts';
import { SIDECAR_NAME } from '../../operator/webhook/inject-sidecar.ts';
import { issueCa } from '../../operator/certs/x509-issuer.ts';
import { ManagedCertificates } from '../../operator/certs/managed-certificates.ts';
import { loadKubeConfig } from '../../operator/kube/kube-config.ts';
import { systemScheduler } from '../../operator/timing/scheduler.ts';
import { startCli, type CliProcess } from '../support/cli-process.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from './support/free-port.ts';
import { adminConfig, kubectl, ok } from './support/kube.ts';
import { createNamespace } from './support/namespace.ts';
import { createOperatorAccount } from './support/operator-account.ts';
import { installCrds, pool, secret } from './support/providerpool.ts';

/** The names rbac/operator-clusterrole.yaml grants by resourceName. */
const CERT_SECRET = 'switchboard-operator-certs';
const WEBHOOK_CONFIG = 'switchboard-sidecar-injector';
const SERVING_VALIDITY_MS = 10_000;

const injection = parseInjectionConfig({
  image: 'registry.example/switchboard:test',
  operatorUrl: 'https://switchboard-operator.switchboard.svc:7070',
});

let admin: KubeConfig;
let core: CoreV1Api;
let operatorNamespace: string;
let appNamespace: string;
/** The replica the webhook configuration points at, and another. */
let operator: RunningOperator;
let other: RunningOperator;
let dir: string;
let webhookPort: number;
const sidecars: CliProcess[] = [];

async function mint(namespace: string, account: string, audiences?: string[]): Promise<string> {
  const request = await core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { expirationSeconds: 3_600, ...(audiences === undefined ? {} : { audiences }) } },
  });
  return request.status?.token ?? '';
}

/** A kubeconfig file that logs in to the test cluster as `token`. */
async function kubeconfigWithToken(token: string, name = 'operator'): Promise<string> {
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig names no cluster');
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'operator', token }],
    contexts: [{ name: 'operator', cluster: cluster.name, user: 'operator' }],
    currentContext: 'operator',
  });
  const file = join(dir, `${name}.kubeconfig`);
  await writeFile(file, config.exportConfig(), { mode: 0o600 });
  return file;
}

async function certSecret(): Promise<V1Secret> {
  return core.readNamespacedSecret({ name: CERT_SECRET, namespace: operatorNamespace });
}
const decoded = (s: V1Secret, key: string) => Buffer.from(s.data?.[key] ?? '', 'base64').toString('utf8');

async function caBundles(): Promise<string[]> {
  const config = await admin
    .makeApiClient(AdmissionregistrationV1Api)
    .readMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG });
  return (config.webhooks ?? []).map((w) =>
    Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
  );
}

/** Creates a pod as a user would (kubectl, which prints admission warnings), returning the stored pod. */
async function createPod(
  name: string,
  labels: Record<string, string>,
): Promise<{ pod: V1Pod; stderr: string; sent: V1Pod }> {
  const sent: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: appNamespace, labels },
    spec: {
      containers: [{ name: 'app', image: 'app:1', env: [{ name: 'MODE', value: 'test' }] }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
  const result = await kubectl(['create', '-f', '-', '-o', 'json'], JSON.stringify(sent));
  if (result.code !== 0) throw new Error(`kubectl create failed: ${result.stderr}`);
  return { pod: withoutApiAccess(JSON.parse(result.stdout) as V1Pod), stderr: result.stderr, sent };
}

/**
 * The pod without what the ServiceAccount admission plugin adds to every pod and container (the API token's
 * kube-api-access volume; the plugin runs again after the webhook, so the sidecar gets its mount too).
 */
function withoutApiAccess(pod: V1Pod): V1Pod {
  const apiAccess = (name: string) => name.startsWith('kube-api-access-');
  const strip = (c: V1Container): V1Container => ({
    ...c,
    ...(c.volumeMounts === undefined
      ? {}
      : { volumeMounts: c.volumeMounts.filter((m) => !apiAccess(m.name)) }),
  });
  return {
    ...pod,
    spec: {
      ...pod.spec!,
      containers: pod.spec!.containers.map(strip),
      ...(pod.spec?.initContainers === undefined
        ? {}
        : { initContainers: pod.spec.initContainers.map(strip) }),
      ...(pod.spec?.volumes === undefined
        ? {}
        : { volumes: pod.spec.volumes.filter((v) => !apiAccess(v.name)) }),
    },
  };
}

const sidecarOf = (pod: V1Pod): V1Container | undefined =>
  [...(pod.spec?.initContainers ?? []), ...pod.spec!.containers].find((c) => c.name === SIDECAR_NAME);

/** The certificate 127.0.0.1:port shows a client that trusts `caPem` (and checks the IP address in it). */
function servedCertificate(port: number, caPem: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** The replica that serves the sync channel now. */
const leader = (): RunningOperator => (operator.isLeader() ? operator : other);

async function injections(): Promise<Record<string, number>> {
  const text = await (await fetch(`${operator.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, result, value] of text.matchAll(
    /^switchboard_operator_injections_total\{result="([^"]+)"\} (\d+)/gm,
  ))
    counts[result!] = Number(value);
  return counts;
}

function startReplica(kubeconfig: string, identity: string, port: number): Promise<RunningOperator> {
  return startOperator({
    kubeconfig,
    leaseNamespace: operatorNamespace,
    operatorNamespace,
    identity,
    leaseDurationMs: 2_000,
    renewDeadlineMs: 1_500,
    retryPeriodMs: 300,
    port: 0,
    syncPort: 0,
    webhookPort: port,
    certificates: {
      mode: 'managed',
      secretName: CERT_SECRET,
      serviceName: 'switchboard-operator',
      webhookConfigName: WEBHOOK_CONFIG,
      ipAddresses: ['127.0.0.1'],
      servingValidityMs: SERVING_VALIDITY_MS,
      caBundleCheckMs: 500,
    },
    injection,
    logger: silentLogger,
  });
}

beforeAll(async () => {
  admin = adminConfig();
  core = admin.makeApiClient(CoreV1Api);
  dir = await mkdtemp(join(tmpdir(), 'switchboard-injection-'));
  await installCrds();
  operatorNamespace = await createNamespace(admin, 'injector');
  appNamespace = await createNamespace(admin, 'injected');
  await createOperatorAccount(operatorNamespace);
  // As the chart does: the Secret exists, empty, so RBAC can name it.
  await core.createNamespacedSecret({
    namespace: operatorNamespace,
    body: { metadata: { name: CERT_SECRET } },
  });
  await ok(kubectl(['apply', '-n', appNamespace, '-f', '-'], JSON.stringify(secret)));
  await ok(kubectl(['apply', '-n', appNamespace, '-f', '-'], JSON.stringify(pool(1))));

  webhookPort = await freePort();
  const admission = admin.makeApiClient(AdmissionregistrationV1Api);
  await admission.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG }).catch(() => undefined);
  await admission.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: WEBHOOK_CONFIG },
      webhooks: [
        {
          name: 'inject.switchboard.dev',
          // No caBundle: the operator fills it in.
          clientConfig: { url: `https://127.0.0.1:${webhookPort}/inject` },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          // This file's namespaces only. No objectSelector, so unlabelled pods reach the webhook too and the
          // test shows that the operator itself leaves them alone.
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': appNamespace } },
          sideEffects: 'NoneOnDryRun',
          admissionReviewVersions: ['v1'],
          failurePolicy: 'Fail',
          reinvocationPolicy: 'IfNeeded',
          timeoutSeconds: 5,
        },
      ],
    },
  });

  const kubeconfig = await kubeconfigWithToken(await mint(operatorNamespace, 'operator'));
  operator = await startReplica(kubeconfig, 'injector-a', webhookPort);
  // A second replica: whichever does not lead serves what it reads from the Secret's watch.
  other = await startReplica(kubeconfig, 'injector-b', await freePort());
  await waitFor('the caBundle to be patched', async () => (await caBundles())[0] !== '', 20_000);
}, 120_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.stop()));
  await Promise.all([operator?.stop(), other?.stop()]);
  await admin
    ?.makeApiClient(AdmissionregistrationV1Api)
    .deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG })
    .catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sidecar injection on the real API server', () => {
  test('the leader filled the pre-created Secret with a CA and a serving certificate, and patched the caBundle', async () => {
    const stored = await certSecret();
    expect(Object.keys(stored.data ?? {}).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const ca = new X509Certificate(decoded(stored, 'ca.crt'));
    const serving = new X509Certificate(decoded(stored, 'tls.crt'));
    expect(ca.ca).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.subjectAltName).toContain(`DNS:switchboard-operator.${operatorNamespace}.svc`);
    expect(serving.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(await caBundles()).toEqual([decoded(stored, 'ca.crt')]);
    const metrics = await (await fetch(`${operator.url}/metrics`)).text();
    const expiry = /^switchboard_operator_serving_certificate_expiry_timestamp_seconds (\d+)/m.exec(metrics);
    expect(Number(expiry?.[1])).toBeGreaterThan(Date.now() / 1000);
    expect(Number(expiry?.[1])).toBeLessThanOrEqual((Date.now() + SERVING_VALIDITY_MS) / 1000);
  });

  test('an unlabelled pod reaches the webhook and is stored untouched', async () => {
    const before = (await injections()).skipped ?? 0;
    const { pod, sent } = await createPod('unlabelled', { app: 'plain' });
    expect(pod.spec?.initContainers).toBeUndefined();
    expect(pod.spec?.containers.map((c) => ({ name: c.name, env: c.env }))).toEqual(
      sent.spec?.containers.map((c) => ({ name: c.name, env: c.env })),
    );
    expect(pod.spec?.volumes).toEqual(sent.spec?.volumes);
    expect(pod.metadata?.annotations).toBeUndefined();
    expect((await injections()).skipped ?? 0).toBe(before + 1);
  });

  test('a pod naming a missing pool is admitted with a warning and a Warning Event, and gets its sidecar', async () => {
    const { pod, stderr } = await createPod('orphan', { 'switchboard.dev/pool': 'ghost' });
    expect(stderr).toContain(`Warning: ProviderPool ${appNamespace}/ghost does not exist`);
    expect(sidecarOf(pod)?.env).toContainEqual({ name: 'SWITCHBOARD_POOL', value: `${appNamespace}/ghost` });
    await waitFor(
      'the Warning Event',
      async () => {
        const events = await core.listNamespacedEvent({ namespace: appNamespace });
        return events.items.some(
          (e) =>
            e.reason === 'ProviderPoolNotFound' &&
            e.type === 'Warning' &&
            e.involvedObject.kind === 'Pod' &&
            e.involvedObject.name === 'orphan',
        );
      },
      10_000,
    );
  });

  test('the webhook keeps serving across serving-certificate rotations under the same CA', async () => {
    const first = await certSecret();
    const serialOf = (s: V1Secret) => new X509Certificate(decoded(s, 'tls.crt')).serialNumber;
    const rotations = new Set([serialOf(first)]);
    let created = 0;
    // Two rotations (10 s validity, renewed at 2/3), creating pods all along.
    const deadline = Date.now() + 30_000;
    while (rotations.size < 3 && Date.now() < deadline) {
      const { pod } = await createPod(`rotating-${created++}`, { 'switchboard.dev/pool': 'chat' });
      expect(sidecarOf(pod)).toBeDefined();
      rotations.add(serialOf(await certSecret()));
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(rotations.size).toBeGreaterThanOrEqual(3);
    const last = await certSecret();
    expect(decoded(last, 'ca.crt')).toBe(decoded(first, 'ca.crt'));
    // The API server may keep its connection from before: new handshakes show that both replicas' webhook and
    // sync ports serve the Secret's current certificate, the leader's and the follower's (which only reads the
    // Secret's watch). Retried, as the next rotation may fall between the two reads.
    expect([operator.isLeader(), other.isLeader()].filter(Boolean)).toHaveLength(1);
    const ports = [operator, other].flatMap((replica) => [
      Number(new URL(replica.webhookUrl!).port),
      Number(new URL(replica.syncUrl!).port),
    ]);
    for (const port of ports) {
      await waitFor(
        `port ${port} to serve the certificate the Secret holds`,
        async () => {
          const now = await certSecret();
          const served = await servedCertificate(port, decoded(now, 'ca.crt'));
          return served.serialNumber.toLowerCase() === serialOf(now).toLowerCase();
        },
        10_000,
      );
    }
  }, 60_000);

  test('a lost CA is issued anew and the caBundle follows, so the webhook keeps working', async () => {
    const oldCa = decoded(await certSecret(), 'ca.crt');
    const stored = await certSecret();
    await core.replaceNamespacedSecret({
      name: CERT_SECRET,
      namespace: operatorNamespace,
      body: { ...stored, data: {} },
    });
    await waitFor(
      'a new CA in the caBundle',
      async () => {
        const ca = decoded(await certSecret(), 'ca.crt');
        return ca !== '' && ca !== oldCa && (await caBundles())[0] === ca;
      },
      20_000,
    );
    // The API server may still hold a connection from before; new pods are injected either way.
    await waitFor(
      'a pod injected under the new CA',
      async () => {
        try {
          const { pod } = await createPod(`new-ca-${Date.now()}`, { 'switchboard.dev/pool': 'chat' });
          return sidecarOf(pod)?.env?.find((e) => e.name === 'SWITCHBOARD_OPERATOR_CA_PEM')?.value !== oldCa;
        } catch {
          return false;
        }
      },
      20_000,
    );
  }, 60_000);

  // The sidecar of a pod whose pool exists, run the same way, gets its pool and answers a chat completion:
  // chart-install.test.ts, with the chart's own injection config and RBAC.
  test('the sidecar injected for a missing pool, run as a process, reaches the TLS sync channel and says why it has no configuration', async () => {
    const orphan = await createPod('runner-orphan', { 'switchboard.dev/pool': 'ghost' });
    const stored = orphan.pod;
    const container = sidecarOf(stored)!;
    // The mounted files, written where the kubelet would put them: the projected token (audience switchboard).
    const token = join(dir, `${stored.metadata!.name}.token`);
    await writeFile(token, await mint(appNamespace, 'default', ['switchboard']));
    const env = Object.fromEntries(
      (container.env ?? []).map((e) => [
        e.name,
        e.value ?? (e.name === 'POD_NAME' ? stored.metadata!.name : ''),
      ]),
    );
    // In place of the Service name, the operator's sync port on this machine (its certificate names 127.0.0.1).
    env.SWITCHBOARD_OPERATOR_URL = leader().syncUrl!;
    env.SWITCHBOARD_TOKEN_FILE = token;
    env.SWITCHBOARD_STATE_DIR = join(dir, `${stored.metadata!.name}.state`);
    const args = [...container.args!];
    const portArg = (flag: string) => args.indexOf(flag) + 1;
    args[portArg('--port')] = '0';
    args[portArg('--metrics-port')] = '0';
    args[portArg('--metrics-host')] = '127.0.0.1';
    args[portArg('--secrets-dir')] = join(dir, 'secrets');
    const sidecar = startCli(args, env);
    sidecars.push(sidecar);
    const listening = await sidecar.waitForLog('sidecar listening');
    const metrics = String(listening.metrics).replace(/\/metrics$/, '');
    let readiness: { status?: string; pool?: string; reason?: string } = {};
    await waitFor(
      'the sidecar to say why it has no pool',
      async () => {
        const res = await fetch(`${metrics}/readyz`);
        readiness = (await res.json()) as typeof readiness;
        return (readiness.reason ?? '').includes('ghost');
      },
      20_000,
    );
    expect(readiness).toEqual({
      status: 'not ready',
      reason: `no ProviderPool ${appNamespace}/ghost is known to the operator`,
    });
  }, 60_000);

  test('a sidecar given another CA refuses the sync channel', async () => {
    const stranger = await issueCa(Date.now(), 3_600_000, 'stranger');
    const token = join(dir, 'stranger.token');
    await writeFile(token, await mint(appNamespace, 'default', ['switchboard']));
    const sidecar = startCli(
      ['sidecar', '--port', '0', '--metrics-port', '0', '--secrets-dir', join(dir, 'secrets')],
      {
        SWITCHBOARD_OPERATOR_URL: leader().syncUrl!,
        SWITCHBOARD_POOL: `${appNamespace}/chat`,
        SWITCHBOARD_TOKEN_FILE: token,
        SWITCHBOARD_OPERATOR_CA_PEM: stranger.certPem,
        SWITCHBOARD_STATE_DIR: join(dir, 'stranger.state'),
        POD_NAME: 'stranger',
      },
    );
    sidecars.push(sidecar);
    const failure = await sidecar.waitForLog('sync stream to the operator failed');
    expect(String(failure.error)).toMatch(/certificate/i);
    // And its /readyz says so.
    const metrics = String((await sidecar.waitForLog('sidecar listening')).metrics).replace(/\/metrics$/, '');
    const res = await fetch(`${metrics}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/certificate/i);
  });

  test('a replica allowed only get and watch on the Secret by name follows its rotations', async () => {
    await ok(kubectl(['create', 'serviceaccount', 'follower', '-n', operatorNamespace]));
    await ok(
      kubectl([
        ...['create', 'role', 'cert-follower', '-n', operatorNamespace, '--verb=get,watch'],
        ...['--resource=secrets', `--resource-name=${CERT_SECRET}`],
      ]),
    );
    await ok(
      kubectl([
        ...['create', 'rolebinding', 'cert-follower', '-n', operatorNamespace, '--role=cert-follower'],
        `--serviceaccount=${operatorNamespace}:follower`,
      ]),
    );
    const follower = new ManagedCertificates({
      config: loadKubeConfig({
        kubeconfig: await kubeconfigWithToken(await mint(operatorNamespace, 'follower'), 'follower'),
      }),
      namespace: operatorNamespace,
      secretName: CERT_SECRET,
      dnsNames: [],
      scheduler: systemScheduler,
      logger: silentLogger,
    });
    const served: string[] = [];
    follower.onChange((m) => served.push(m.certPem));
    await follower.start();
    try {
      expect(follower.current()?.caPem).toBe(decoded(await certSecret(), 'ca.crt'));
      // The next rotation arrives through the watch.
      await waitFor('a rotation seen by the follower', () => served.length >= 2, 15_000);
      expect(served.at(-1)).not.toBe(served[0]);
    } finally {
      await follower.stop();
    }
  }, 30_000);
});
