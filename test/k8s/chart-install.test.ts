/**
 * The Helm chart on the real API server, end to end as issue 11's "Done means" asks: `helm install` and
 * `helm upgrade`; the operator run as a local process with the installed Deployment's own arguments and
 * environment, authenticated as the chart's ServiceAccount (a TokenRequest token), doing its whole job with the
 * chart's RBAC and no more (kubectl auth can-i): it fills the chart's certificate Secret, patches the chart's
 * webhook caBundle, serves the webhook (across serving-certificate rotations), reconciles a pool; a labelled pod is
 * stored with the sidecar the chart's injection config describes, an unlabelled one untouched; and the injected
 * sidecar container, run as a process with its mounted files in a temp dir, syncs over TLS and answers the
 * official OpenAI SDK.
 *
 * No kubelet runs here, so the chart's pods are stored but never start. Runs in order: the tests share one release.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import {
  CoreV1Api,
  type V1Container,
  type V1Deployment,
  type V1Pod,
  type V1PodSpec,
  type V1Secret,
} from '@kubernetes/client-node';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import { paths } from '../../scripts/cluster/paths.ts';
import { parseInjectionConfig, type InjectionConfig } from '../../operator/webhook/injection-config.ts';
import { decideInjection, SIDECAR_NAME } from '../../operator/webhook/inject-sidecar.ts';
import { SIDECAR_ENVIRONMENT, SIDECAR_NODE_OPTIONS } from '../../core/sidecar-node-options.ts';
import { parse as parseYaml } from 'yaml';
import { startCli, type CliProcess } from '../support/cli-process.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from './support/free-port.ts';
import { adminConfig, helm, kubectl, ok } from './support/kube.ts';
import { createNamespace } from './support/namespace.ts';
import { eventually, poolAt, ready } from './support/providerpool.ts';

const chart = fileURLToPath(new URL('../../helm/switchboard', import.meta.url));
const RELEASE = 'switchboard';
const ACCOUNT = 'switchboard-operator';
const CERT_SECRET = 'switchboard-operator-tls';
/** The serving certificate's lifetime for this run (renewed at 2/3: a rotation about every 8 s). */
const CERT_VALIDITY = '12s';
const API_KEY = 'sk-chart-test-key';

let release: string;
let app: string;
let dir: string;
let mock: MockProvider;
let core: CoreV1Api;
const processes: CliProcess[] = [];
/** An operator replica run as a process, and the ports it was given in place of the pod's. */
interface Replica {
  readonly podName: string;
  readonly process: CliProcess;
  readonly port: number;
  readonly syncPort: number;
  readonly webhookPort: number;
}
/** The chart's two replicas: the first started leads, the second follows (relays its sidecars to the leader). */
const replicas: Replica[] = [];
/** The chart's injection config, as the operator parsed it from the installed ConfigMap. */
let injection: InjectionConfig;

/** The webhook configuration's name: cluster-scoped, so it carries the release namespace. */
const webhookConfig = () => `${RELEASE}-${release}-injector`;

beforeAll(async () => {
  const admin = adminConfig();
  core = admin.makeApiClient(CoreV1Api);
  release = await createNamespace(admin, 'chart');
  app = await createNamespace(admin, 'chart-app');
  // The test cluster is shared by test files running in parallel: the release's webhook is confined to
  // namespaces labelled for this release, so that with failurePolicy Fail it cannot refuse other tests' pods.
  for (const namespace of [app, release])
    await ok(kubectl(['label', 'namespace', namespace, `switchboard.dev/chart-test=${release}`]));
  dir = await mkdtemp(join(tmpdir(), 'switchboard-chart-'));
  mock = await startMockProvider({ name: 'primary', apiKey: API_KEY });
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await mock?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  // Cluster-scoped objects (the webhook configuration, ClusterRoles) must not outlive the file.
  await helm(['uninstall', RELEASE, '-n', release]);
});

const installArgs = () => [
  ...[chart, '-n', release],
  ...['--set-json', `webhook.namespaceSelector={"matchLabels":{"switchboard.dev/chart-test":"${release}"}}`],
];

async function deployment(): Promise<V1Deployment> {
  return JSON.parse(
    await ok(kubectl(['get', 'deployment', 'switchboard-operator', '-n', release, '-o', 'json'])),
  ) as V1Deployment;
}

/** A kubeconfig file that logs in to the test cluster with `token`, as a pod's service account would. */
async function kubeconfigWithToken(token: string): Promise<string> {
  const file = join(dir, 'operator.kubeconfig');
  const cluster = adminConfig().getCurrentCluster();
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'operator',
      clusters: [
        {
          name: 'test',
          cluster: { server: cluster?.server, 'certificate-authority': join(paths.pkiDir, 'ca.crt') },
        },
      ],
      users: [{ name: 'operator', user: { token } }],
      contexts: [{ name: 'operator', context: { cluster: 'test', user: 'operator' } }],
    }),
    { mode: 0o600 },
  );
  return file;
}

/** A TokenRequest token of a ServiceAccount, as the kubelet gets it for a projected volume. */
async function mintToken(
  namespace: string,
  account: string,
  audiences?: string[],
  expirationSeconds = 3_600,
): Promise<string> {
  const request = await core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { expirationSeconds, ...(audiences === undefined ? {} : { audiences }) } },
  });
  return request.status?.token ?? '';
}

/** `kubectl auth can-i` as the chart's ServiceAccount: "yes" or "no". */
async function canI(...args: string[]): Promise<string> {
  const run = await kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${release}:${ACCOUNT}`]);
  if (run.code > 1) throw new Error(run.stderr);
  return run.stdout.trim();
}

const podManifest = (name: string, labels: Record<string, string>): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: {
    containers: [{ name: 'app', image: 'registry.example/app:1', env: [{ name: 'MODE', value: 'x' }] }],
  },
});
const pod = (name: string, labels: Record<string, string>) => JSON.stringify(podManifest(name, labels));

/** Creates a pod in the app namespace as a user would (kubectl prints admission warnings); the stored pod. */
async function createPod(
  name: string,
  labels: Record<string, string>,
  extra: string[] = [],
): Promise<{ stored: V1Pod; sent: V1Pod; stderr: string }> {
  const sent = podManifest(name, labels);
  const run = await kubectl(['create', '-n', app, '-f', '-', '-o', 'json', ...extra], JSON.stringify(sent));
  if (run.code !== 0) throw new Error(`kubectl create ${name} failed: ${run.stderr}`);
  return { stored: JSON.parse(run.stdout) as V1Pod, sent, stderr: run.stderr };
}

const sidecarOf = (stored: V1Pod): V1Container | undefined =>
  [...(stored.spec?.initContainers ?? []), ...(stored.spec?.containers ?? [])].find(
    (c) => c.name === SIDECAR_NAME,
  );

async function certSecret(): Promise<V1Secret> {
  return core.readNamespacedSecret({ name: CERT_SECRET, namespace: release });
}
const decoded = (s: V1Secret, key: string) => Buffer.from(s.data?.[key] ?? '', 'base64').toString('utf8');
const servingSerial = async () => new X509Certificate(decoded(await certSecret(), 'tls.crt')).serialNumber;

async function caBundle(): Promise<string> {
  return ok(
    kubectl([
      ...['get', 'mutatingwebhookconfiguration', webhookConfig()],
      ...['-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}'],
    ]),
  );
}

/** The pool's key Secret and the pool, in the app namespace. */
async function applyPool(): Promise<void> {
  await ok(
    kubectl(
      ['apply', '-n', app, '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'openai' },
        stringData: { 'api-key': API_KEY },
      }),
    ),
  );
  await ok(kubectl(['apply', '-n', app, '-f', '-'], JSON.stringify(poolAt(mock.url))));
}

/**
 * The files a kubelet would mount into `container` of a pod (`spec` in `namespace`), written under `root`
 * (root + mountPath): projected ServiceAccount tokens from a TokenRequest with the volume's audience, Secrets' and
 * ConfigMaps' keys (one key at the mount path for a subPath mount), empty dirs. The kube-api-access volume the
 * ServiceAccount admission plugin adds to every container is left out: the sidecar never reads the Kubernetes API
 * (and no kube-controller-manager publishes its CA ConfigMap here); the operator gets its API token by kubeconfig.
 */
async function writeMounts(
  namespace: string,
  spec: V1PodSpec,
  container: V1Container,
  root: string,
): Promise<void> {
  const account = spec.serviceAccountName ?? 'default';
  for (const mount of container.volumeMounts ?? []) {
    if (mount.name.startsWith('kube-api-access-')) continue;
    const volume = spec.volumes?.find((v) => v.name === mount.name);
    const at = join(root, mount.mountPath);
    let files: Record<string, Buffer | string> = {};
    if (volume?.emptyDir) files = {};
    else if (volume?.secret?.secretName) {
      const secret = await core.readNamespacedSecret({ name: volume.secret.secretName, namespace });
      files = Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
      );
    } else if (volume?.configMap?.name) {
      files = (await core.readNamespacedConfigMap({ name: volume.configMap.name, namespace })).data ?? {};
    } else {
      const sources = volume?.projected?.sources ?? [];
      if (sources.length === 0 || sources.some((source) => source.serviceAccountToken === undefined))
        throw new Error(`the test does not know how to mount volume ${mount.name}`);
      for (const { serviceAccountToken: token } of sources)
        files[token!.path] = await mintToken(
          namespace,
          account,
          token!.audience === undefined ? undefined : [token!.audience],
          token!.expirationSeconds,
        );
    }
    if (mount.subPath) {
      const content = files[mount.subPath];
      if (content === undefined) throw new Error(`volume ${mount.name} has no ${mount.subPath}`);
      await mkdir(dirname(at), { recursive: true });
      await writeFile(at, content);
      continue;
    }
    await mkdir(at, { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(at, path)), { recursive: true });
      await writeFile(join(at, path), content);
    }
  }
}

/** A path under one of the container's mounts (or a parent of one) moved under `root`; anything else as it is. */
function rebase(value: string, container: V1Container, root: string): string {
  const under = (path: string, parent: string) => path === parent || path.startsWith(`${parent}/`);
  const mounted = (container.volumeMounts ?? []).some(
    (m) => under(value, m.mountPath) || under(m.mountPath, value),
  );
  return value.startsWith('/') && mounted ? join(root, value) : value;
}

const leaseHolder = () =>
  ok(
    kubectl([
      ...['get', 'lease', 'switchboard-operator', '-n', release],
      ...['-o', 'jsonpath={.spec.holderIdentity}'],
    ]),
  );

/**
 * One replica of the installed Deployment as a local process: its container's arguments and environment as the
 * kubelet expands them (downward API: the pod's name, namespace and IP, 127.0.0.1 here), its mounted files (the
 * injection ConfigMap, the relay token for audience switchboard) written under a temp dir, free ports on loopback in
 * place of the pod's. Every other flag is the Deployment's own.
 */
async function startReplica(kubeconfig: string, podName: string): Promise<Replica> {
  const template = (await deployment()).spec?.template.spec;
  const container = template?.containers[0];
  if (!template || !container?.args) throw new Error('the Deployment has no operator container');
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (field === 'metadata.namespace') env[variable.name] = release;
    else if (field === 'metadata.name') env[variable.name] = podName;
    else if (field === 'status.podIP') env[variable.name] = '127.0.0.1';
    else throw new Error(`the test does not know how to fill ${variable.name}`);
  }
  expect(env).toEqual({
    POD_NAMESPACE: release,
    POD_NAME: podName,
    POD_IP: '127.0.0.1',
    NODE_OPTIONS: '--max-semi-space-size=2',
  });
  const root = join(dir, podName);
  await writeMounts(release, template, container, root);

  const ports = { port: await freePort(), syncPort: await freePort(), webhookPort: await freePort() };
  const local: Record<string, string> = {
    '--port': `${ports.port}`,
    '--host': '127.0.0.1',
    '--sync-port': `${ports.syncPort}`,
    '--sync-host': '127.0.0.1',
    '--webhook-port': `${ports.webhookPort}`,
  };
  const [command, ...flags] = container.args;
  expect(command).toBe('operator');
  const args = flags
    .map((arg) => arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env[name] ?? `$(${name})`))
    .map((arg) => {
      const [flag = '', value] = arg.split('=', 2);
      if (value === undefined) return arg;
      return `${flag}=${flag in local ? local[flag] : rebase(value, container, root)}`;
    });
  expect(Object.keys(local).filter((flag) => args.some((a) => a.startsWith(`${flag}=`)))).toEqual(
    Object.keys(local),
  );
  expect(args).toEqual(
    expect.arrayContaining([
      `--lease-namespace=${release}`,
      `--id=${podName}`,
      `--cert-secret=${CERT_SECRET}`,
      '--service-name=switchboard-operator',
      `--webhook-config=${webhookConfig()}`,
      `--injection-config=${join(root, '/etc/switchboard/injection.yaml')}`,
      `--relay-token-file=${join(root, '/var/run/secrets/switchboard-relay/token')}`,
    ]),
  );
  const process = startCli(
    [
      'operator',
      ...args,
      // In the pod: the in-cluster configuration of the ServiceAccount. Here: its token in a kubeconfig.
      `--kubeconfig=${kubeconfig}`,
      // Test-only (hidden) flags. The API server reaches the webhook, and the sidecar the sync channel, at
      // 127.0.0.1 here (no Service routes to this machine), so the serving certificate must name that address
      // too; and it lives seconds, so the tests below run across rotations.
      '--cert-extra-san=127.0.0.1',
      `--cert-validity=${CERT_VALIDITY}`,
    ],
    env,
  );
  processes.push(process);
  const replica = { podName, process, ...ports };
  replicas.push(replica);
  await waitFor(
    `${podName} to be ready (informers synced, a certificate served)`,
    async () => (await fetch(`http://127.0.0.1:${ports.port}/readyz`).catch(() => undefined))?.status === 200,
    30_000,
  );
  return replica;
}

describe('the Helm chart on the API server', () => {
  test('helm install creates the release: CRD, operator, RBAC, Service, webhook configuration, empty cert Secret', async () => {
    const installed = await ok(helm(['install', RELEASE, ...installArgs()]));
    // NOTES.txt: the next steps.
    for (const step of [
      `kubectl -n ${release} rollout status deployment/switchboard-operator`,
      'kubectl -n my-app apply -f -',
      '"switchboard.dev/pool":"chat"',
      'http://localhost:4000/v1',
      'kubectl apply --server-side -f <chart>/crds/',
    ])
      expect(installed).toContain(step);
    const releases = JSON.parse(await ok(helm(['list', '-n', release, '-o', 'json']))) as {
      name: string;
      status: string;
    }[];
    expect(releases).toEqual([expect.objectContaining({ name: RELEASE, status: 'deployed' })]);

    await ok(kubectl(['get', 'crd', 'providerpools.switchboard.dev']));
    const names = await ok(
      kubectl([
        ...['get', 'deployment,service,serviceaccount,configmap,secret,role,rolebinding,poddisruptionbudget'],
        ...['-n', release, '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name'],
      ]),
    );
    expect(names.trim().split('\n').sort()).toEqual([
      'configmap/switchboard-injection',
      'deployment.apps/switchboard-operator',
      'poddisruptionbudget.policy/switchboard-operator',
      'role.rbac.authorization.k8s.io/switchboard-operator',
      'rolebinding.rbac.authorization.k8s.io/switchboard-operator',
      'secret/switchboard-operator-tls',
      'service/switchboard-operator',
      'serviceaccount/switchboard-operator',
    ]);
    const secret = JSON.parse(
      await ok(kubectl(['get', 'secret', 'switchboard-operator-tls', '-n', release, '-o', 'json'])),
    ) as { data?: unknown };
    expect(secret.data).toBeUndefined();
    await ok(kubectl(['get', 'mutatingwebhookconfiguration', webhookConfig()]));
    await ok(
      kubectl([
        'get',
        'clusterrole',
        `${RELEASE}-${release}-operator`,
        `${RELEASE}-${release}-operator-pools`,
      ]),
    );
  });

  test('the webhook is called for labelled pods only, never in its own namespace, and Fail refuses while no replica answers', async () => {
    // Unlabelled: the objectSelector keeps the API server from calling the webhook at all.
    await ok(kubectl(['create', '-n', app, '-f', '-'], pod('plain', { app: 'web' })));
    // Labelled, in a selected namespace: the webhook is called; no operator pod runs here, so Fail refuses it.
    const refused = await kubectl(
      ['create', '-n', app, '-f', '-'],
      pod('wants-sidecar', { 'switchboard.dev/pool': 'chat' }),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('failed calling webhook "sidecar.switchboard.dev"');
    // Labelled, in the release's own namespace (labelled for the test too): excluded, so the operator can start.
    await ok(
      kubectl(['create', '-n', release, '-f', '-'], pod('in-release-ns', { 'switchboard.dev/pool': 'chat' })),
    );
  });

  test("the chart's two replicas, run with the Deployment's arguments as its ServiceAccount, fill the certificate Secret and patch the webhook's caBundle", async () => {
    const kubeconfig = await kubeconfigWithToken(await mintToken(release, ACCOUNT));
    const leader = await startReplica(kubeconfig, 'switchboard-operator-7d9c-aaaaa');
    await waitFor('the first replica to lead', async () => (await leaseHolder()) === leader.podName, 20_000);
    const follower = await startReplica(kubeconfig, 'switchboard-operator-7d9c-bbbbb');
    expect(await leaseHolder()).toBe(leader.podName);
    expect(follower.process.child.exitCode).toBeNull();

    // The chart's injection config, as every replica parsed it at start.
    injection = parseInjectionConfig(
      parseYaml(
        await ok(
          kubectl([
            ...['get', 'configmap', 'switchboard-injection', '-n', release],
            ...['-o', 'jsonpath={.data.injection\\.yaml}'],
          ]),
        ),
      ),
      'the installed injection.yaml',
    );
    expect(injection.operatorUrl).toBe(`https://switchboard-operator.${release}.svc:7070`);

    // The chart's empty Secret, filled by the leader; the chart's webhook configuration's caBundle, patched.
    const stored = await certSecret();
    expect(Object.keys(stored.data ?? {}).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const ca = new X509Certificate(decoded(stored, 'ca.crt'));
    const serving = new X509Certificate(decoded(stored, 'tls.crt'));
    expect(serving.verify(ca.publicKey)).toBe(true);
    for (const name of [
      'switchboard-operator',
      `switchboard-operator.${release}.svc`,
      'IP Address:127.0.0.1',
    ])
      expect(serving.subjectAltName).toContain(name);
    await waitFor(
      'the caBundle to be patched',
      async () => Buffer.from(await caBundle(), 'base64').toString() === decoded(stored, 'ca.crt'),
      10_000,
    );
    // The leader wrote where its sync channel is (POD_IP from the downward API, the channel's TLS scheme).
    const advertised = await ok(
      kubectl([
        ...['get', 'lease', 'switchboard-operator', '-n', release],
        ...['-o', 'jsonpath={.metadata.annotations.switchboard\\.dev/sync-url}'],
      ]),
    );
    expect(advertised).toBe(`https://127.0.0.1:${leader.syncPort}`);
  }, 90_000);

  test('helm upgrade rolls new values and keeps what the operator wrote: the caBundle and the certificate Secret', async () => {
    const caBefore = await caBundle();
    const secretBefore = decoded(await certSecret(), 'ca.crt');
    expect(caBefore).not.toBe('');
    await ok(helm(['upgrade', RELEASE, ...installArgs(), '--set', 'operator.logLevel=debug']));
    const releases = JSON.parse(await ok(helm(['list', '-n', release, '-o', 'json']))) as {
      revision: string;
      status: string;
    }[];
    expect(releases).toEqual([expect.objectContaining({ revision: '2', status: 'deployed' })]);
    expect((await deployment()).spec?.template.spec?.containers[0]?.args).toContain('--log-level=debug');
    // Read at once: the leader re-checks the caBundle only every 30 s, so this is the upgrade keeping it.
    expect(await caBundle()).toBe(caBefore);
    expect(decoded(await certSecret(), 'ca.crt')).toBe(secretBefore);
  });

  test('with the webhook pointed at the operator process, a labelled pod is stored with the sidecar the chart describes', async () => {
    // The chart's clientConfig names the Service; nothing routes a Service to this machine without a cluster
    // network, so the webhook is pointed by URL at one replica's port, the follower's (every replica serves it) (after the upgrade above, which would put
    // the Service back). Everything else of the chart's webhook stays: selectors, failure policy, the caBundle
    // the operator patched, and the serving certificate (which names 127.0.0.1 through --cert-extra-san).
    await ok(
      kubectl([
        ...['patch', 'mutatingwebhookconfiguration', webhookConfig(), '--type=json', '-p'],
        JSON.stringify([
          { op: 'remove', path: '/webhooks/0/clientConfig/service' },
          {
            op: 'add',
            path: '/webhooks/0/clientConfig/url',
            value: `https://127.0.0.1:${replicas[1]!.webhookPort}/inject`,
          },
        ]),
      ]),
    );
    await applyPool();
    // The operator watches pools and Secrets, writes status (server-side apply), records Events.
    const status = await eventually(app, 'Ready', (s) => ready(s)?.status === 'True');
    expect(status.observedGeneration).toBe(1);
    const events = await ok(
      kubectl(['get', 'events', '-n', app, '-o', 'jsonpath={.items[*].source.component}']),
    );
    expect(events).toContain('switchboard-operator');

    const { stored, sent } = await createPod('labelled', { 'switchboard.dev/pool': 'chat' });
    const caPem = decoded(await certSecret(), 'ca.crt');
    // The pure injection for the chart's config: the stored pod must hold all of it (the server adds defaults).
    const expected = decideInjection(
      sent,
      {
        namespace: app,
        pool: { found: true, secretNames: ['openai'] },
        serverVersion: { major: 1, minor: 36 },
        operatorCaPem: caPem,
      },
      injection,
    );
    if (!expected.inject) throw new Error('expected an injection');
    const sidecarPatch = expected.patch.find((p) => p.path === '/spec/initContainers');
    expect(stored.spec?.initContainers).toHaveLength(1);
    // The ServiceAccount admission plugin runs again after the webhook and gives the sidecar its API-token mount too.
    const storedSidecar = stored.spec!.initContainers![0]!;
    expect({
      ...storedSidecar,
      volumeMounts: storedSidecar.volumeMounts?.filter((m) => !m.name.startsWith('kube-api-access-')),
    }).toMatchObject((sidecarPatch?.value as V1Container[])[0]!);
    const volumesPatch = expected.patch.find((p) => p.path === '/spec/volumes');
    expect(stored.spec?.volumes?.filter((v) => !v.name.startsWith('kube-api-access-'))).toMatchObject(
      volumesPatch?.value as object[],
    );

    // The fields the chart's values decide, spelled out.
    const sidecar = sidecarOf(stored);
    expect(sidecar).toMatchObject({
      name: SIDECAR_NAME,
      image: 'switchboard:0.1.0',
      restartPolicy: 'Always',
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      ports: [{ name: 'sb-metrics', containerPort: 9464, protocol: 'TCP' }],
    });
    // The kubelet probes the metrics port on the pod IP (the API port listens on loopback only).
    expect(sidecar?.readinessProbe).toMatchObject({
      httpGet: { path: '/readyz', port: 9464 },
      periodSeconds: 5,
      failureThreshold: 3,
    });
    expect(sidecar?.livenessProbe).toMatchObject({
      httpGet: { path: '/healthz', port: 9464 },
      periodSeconds: 10,
      failureThreshold: 3,
    });
    expect(sidecar?.startupProbe).toMatchObject({ httpGet: { path: '/healthz', port: 9464 } });
    const env = Object.fromEntries((sidecar?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toEqual({
      SWITCHBOARD_OPERATOR_URL: `https://switchboard-operator.${release}.svc:7070`,
      SWITCHBOARD_POOL: `${app}/chat`,
      SWITCHBOARD_TOKEN_FILE: '/var/run/secrets/switchboard-token/token',
      SWITCHBOARD_OPERATOR_CA_PEM: caPem,
      SWITCHBOARD_STATE_DIR: '/var/run/switchboard',
      POD_NAME: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      NODE_OPTIONS: SIDECAR_NODE_OPTIONS.join(' '),
      ...SIDECAR_ENVIRONMENT,
    });
    expect(
      stored.spec?.volumes?.find((v) => v.name === 'switchboard-token')?.projected?.sources?.[0],
    ).toEqual({
      serviceAccountToken: { audience: 'switchboard', expirationSeconds: 3600, path: 'token' },
    });
    expect(stored.spec?.containers.map((c) => c.name)).toEqual(['app']);
    expect(stored.spec?.containers[0]?.env).toEqual([
      { name: 'MODE', value: 'x' },
      { name: 'OPENAI_BASE_URL', value: 'http://localhost:4000/v1' },
      { name: 'ANTHROPIC_BASE_URL', value: 'http://localhost:4000' },
    ]);
    expect(stored.metadata?.annotations).toMatchObject({ 'switchboard.dev/injected': 'chat' });
  }, 60_000);

  test('an unlabelled pod is stored untouched', async () => {
    const { stored, sent } = await createPod('unlabelled', { app: 'web' });
    expect(stored.spec?.initContainers).toBeUndefined();
    expect(stored.spec?.containers.map((c) => ({ name: c.name, env: c.env }))).toEqual(
      sent.spec?.containers.map((c) => ({ name: c.name, env: c.env })),
    );
    expect(stored.metadata?.annotations).toBeUndefined();
  });

  test('a pod naming a missing pool is admitted with a warning; a Warning Event is recorded, but not on a dry run', async () => {
    // sideEffects NoneOnDryRun: the dry run is answered (with the warning) and records nothing.
    const dry = await createPod('dry-ghost', { 'switchboard.dev/pool': 'ghost' }, ['--dry-run=server']);
    expect(dry.stderr).toContain(`Warning: ProviderPool ${app}/ghost does not exist`);
    expect(sidecarOf(dry.stored)).toBeDefined();
    const real = await createPod('ghost', { 'switchboard.dev/pool': 'ghost' });
    expect(real.stderr).toContain(`Warning: ProviderPool ${app}/ghost does not exist`);
    const warnedAbout = async () =>
      (await core.listNamespacedEvent({ namespace: app })).items
        .filter((e) => e.reason === 'ProviderPoolNotFound' && e.type === 'Warning')
        .map((e) => e.involvedObject.name);
    await waitFor('the Warning Event', async () => (await warnedAbout()).includes('ghost'), 10_000);
    // Events are recorded in the order pods were admitted: the dry run's would be there by now.
    expect(await warnedAbout()).toEqual(['ghost']);
  });

  test('the webhook keeps serving across serving-certificate rotations', async () => {
    const serials = new Set([await servingSerial()]);
    let created = 0;
    const deadline = Date.now() + 45_000;
    // Two rotations, creating labelled pods all along: each is injected.
    while (serials.size < 3 && Date.now() < deadline) {
      const { stored } = await createPod(`rotating-${created++}`, { 'switchboard.dev/pool': 'chat' });
      expect(sidecarOf(stored)).toBeDefined();
      serials.add(await servingSerial());
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(serials.size).toBeGreaterThanOrEqual(3);
    expect(created).toBeGreaterThan(2);
  }, 60_000);

  test('the injected sidecar container, run as a process with its mounted files, syncs over TLS and answers the OpenAI SDK', async () => {
    const stored = JSON.parse(
      await ok(kubectl(['get', 'pod', 'labelled', '-n', app, '-o', 'json'])),
    ) as V1Pod;
    const container = sidecarOf(stored)!;
    const root = join(dir, 'pod-labelled');
    await writeMounts(app, stored.spec!, container, root);

    // The container's exact command line and environment, with what only a kubelet can provide filled in: mount
    // paths moved under `root`, the downward API's pod name, free ports on loopback for the pod's ports, and an
    // operator replica's sync channel on this machine in place of the Service's DNS name (scheme and path kept):
    // the follower's, which relays the sidecar to the leader and the leader's configuration back.
    expect(container.command).toBeUndefined(); // the image's entrypoint is the switchboard CLI
    const [subcommand, ...rest] = container.args!;
    expect(subcommand).toBe('sidecar');
    const apiPort = await freePort();
    const metricsPort = await freePort();
    const swap: Record<string, string> = {
      '--port': `${apiPort}`,
      '--metrics-port': `${metricsPort}`,
      '--metrics-host': '127.0.0.1',
    };
    const args = rest.map((arg, i) => {
      const flag = rest[i - 1] ?? '';
      return flag in swap ? swap[flag]! : rebase(arg, container, root);
    });
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[variable.name] = 'labelled';
      else if (variable.value !== undefined) env[variable.name] = rebase(variable.value, container, root);
      else throw new Error(`the test does not know how to fill ${variable.name}`);
    }
    const operatorUrl = new URL(env.SWITCHBOARD_OPERATOR_URL!);
    expect(operatorUrl.protocol).toBe('https:');
    operatorUrl.hostname = '127.0.0.1';
    operatorUrl.port = `${replicas[1]!.syncPort}`;
    env.SWITCHBOARD_OPERATOR_URL = operatorUrl.toString().replace(/\/$/, '');
    expect(env.SWITCHBOARD_TOKEN_FILE).toBe(join(root, '/var/run/secrets/switchboard-token/token'));
    expect(env.SWITCHBOARD_STATE_DIR).toBe(join(root, '/var/run/switchboard'));

    const sidecar = startCli(['sidecar', ...args], env);
    processes.push(sidecar);
    let readiness: unknown;
    await waitFor(
      'the sidecar to receive its pool over TLS',
      async () => {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
        readiness = await res?.json().catch(() => undefined);
        return res?.status === 200;
      },
      30_000,
    );
    expect(readiness).toEqual({ status: 'ready', pool: 'chat' });
    await replicas[1]!.process.waitForLog('relaying to the leader', 20_000);
    // The operator's side: one sidecar connected to the pool (it accepted the projected token by TokenReview).
    await waitFor(
      'the pool status to count the sidecar',
      async () => {
        const out = kubectl([
          'get',
          'providerpool',
          'chat',
          '-n',
          app,
          '-o',
          'jsonpath={.status.sidecars.connected}',
        ]);
        return (await ok(out)) === '1';
      },
      30_000,
    );

    // The app's view: the official SDK at the sidecar's API port (localhost:4000 in the pod).
    const requestsBefore = mock.stats.requests;
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${apiPort}/v1`, apiKey: 'unused' });
    const answer = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    // The mock provider accepts only the key from the Secret the sidecar read from its mounted file.
    expect(mock.stats.requests).toBe(requestsBefore + 1);
  }, 90_000);

  test.each([
    ['may watch pools in every namespace', ['watch', 'providerpools.switchboard.dev', '-A'], 'yes'],
    [
      'may patch pool status',
      ['patch', 'providerpools.switchboard.dev', '--subresource=status', '-n', 'any'],
      'yes',
    ],
    ['may not change a pool spec', ['update', 'providerpools.switchboard.dev', '-n', 'any'], 'no'],
    ['may not delete a pool', ['delete', 'providerpools.switchboard.dev', '-n', 'any'], 'no'],
    [
      'may read a pool by name (the webhook confirms a pool its cache misses)',
      ['get', 'providerpools.switchboard.dev/chat', '-n', 'any'],
      'yes',
    ],
    ['may create Events', ['create', 'events', '-n', 'any'], 'yes'],
    ['may not patch Events (it records each one anew)', ['patch', 'events', '-n', 'any'], 'no'],
    ['may not delete Events', ['delete', 'events', '-n', 'any'], 'no'],
    ['may create TokenReviews', ['create', 'tokenreviews.authentication.k8s.io'], 'yes'],
    ['may list Secrets (key names of pool references)', ['list', 'secrets', '-n', 'any'], 'yes'],
    ['may not get a Secret by name', ['get', 'secrets/openai', '-n', 'any'], 'no'],
    ['may not create Secrets', ['create', 'secrets', '-n', 'any'], 'no'],
    ['may not delete Secrets', ['delete', 'secrets', '-n', 'any'], 'no'],
    ['may not delete pods', ['delete', 'pods', '-n', 'any'], 'no'],
    ['may not read pods', ['get', 'pods', '-n', 'any'], 'no'],
    ['may not create pods', ['create', 'pods', '-n', 'any'], 'no'],
  ])('the chart ServiceAccount %s', async (_what, args, answer) => {
    expect(await canI(...args)).toBe(answer);
  });

  test('the ServiceAccount may change only its own Lease, certificate Secret and webhook configuration', async () => {
    expect(await canI('update', 'leases/switchboard-operator', '-n', release)).toBe('yes');
    expect(await canI('update', 'leases/kube-controller-manager', '-n', release)).toBe('no');
    expect(await canI('update', 'leases/switchboard-operator', '-n', app)).toBe('no');
    expect(await canI('get', 'secrets/switchboard-operator-tls', '-n', release)).toBe('yes');
    expect(await canI('update', 'secrets/switchboard-operator-tls', '-n', release)).toBe('yes');
    expect(await canI('get', 'secrets/other', '-n', release)).toBe('no');
    expect(await canI('update', 'secrets/switchboard-operator-tls', '-n', app)).toBe('no');
    expect(await canI('delete', 'secrets/switchboard-operator-tls', '-n', release)).toBe('no');
    const webhooks = 'mutatingwebhookconfigurations.admissionregistration.k8s.io';
    expect(await canI('patch', `${webhooks}/${webhookConfig()}`)).toBe('yes');
    expect(await canI('patch', `${webhooks}/someone-elses`)).toBe('no');
    expect(await canI('delete', `${webhooks}/${webhookConfig()}`)).toBe('no');
    expect(await canI('create', webhooks)).toBe('no');
    expect(await canI('patch', 'validatingwebhookconfigurations.admissionregistration.k8s.io')).toBe('no');
  });

  test('helm uninstall keeps the certificate Secret (sidecars trust its CA), and a reinstall adopts it as it is', async () => {
    // The operator process first, as the Deployment's pods would go with the release.
    await Promise.all(processes.map((p) => p.stop()));
    await ok(helm(['uninstall', RELEASE, '-n', release]));
    const gone = await kubectl(['get', 'mutatingwebhookconfiguration', webhookConfig()]);
    expect(gone.stderr).toContain('NotFound');
    expect((await kubectl(['get', 'deployment', 'switchboard-operator', '-n', release])).stderr).toContain(
      'NotFound',
    );
    const caOf = () =>
      ok(
        kubectl([
          'get',
          'secret',
          'switchboard-operator-tls',
          '-n',
          release,
          '-o',
          'jsonpath={.data.ca\\.crt}',
        ]),
      );
    const ca = await caOf();
    expect(ca).not.toBe('');

    await ok(helm(['install', RELEASE, ...installArgs()]));
    expect(await caOf()).toBe(ca);
  });
});
