/**
 * The Helm chart (helm/switchboard) as `helm lint` and `helm template` see it, for the main value combinations,
 * and the values schema refusing bad values at install. What the rendered objects do on the API server is
 * chart-install.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { V1Container } from '@kubernetes/client-node';
import { KUBERNETES_VERSION } from '../../scripts/cluster/binaries.ts';
import { parseInjectionConfig } from '../../operator/webhook/injection-config.ts';
import { SYNC_TOKEN_AUDIENCE } from '../../api/sync/sync-protocol.ts';
import { decideInjection, POOL_LABEL, SIDECAR_NAME } from '../../operator/webhook/inject-sidecar.ts';
import { SIDECAR_NODE_OPTIONS } from '../../core/sidecar-node-options.ts';
import { helm, kubectl, ok } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

const chart = fileURLToPath(new URL('../../helm/switchboard', import.meta.url));
/** The sidecar's NODE_OPTIONS when the chart's sidecar.nodeOptions is left at null. */
const MEASURED = SIDECAR_NODE_OPTIONS.join(' ');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}
interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Container {
  args: string[];
  env: { name: string; value?: string }[];
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
}

/** `helm template` of the chart as release "switchboard" (or `release`) in namespace "switchboard", with `--set`. */
async function render(args: readonly string[] = [], release = 'switchboard'): Promise<Manifest[]> {
  const out = await ok(
    helm([
      ...['template', release, chart, '-n', 'switchboard'],
      ...['--kube-version', KUBERNETES_VERSION],
      ...args,
    ]),
  );
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const kinds = (manifests: Manifest[]) => manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
function find(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (!found)
    throw new Error(`no ${kind}${name === undefined ? '' : `/${name}`} in: ${kinds(manifests).join(', ')}`);
  return found;
}
const podSpec = (manifests: Manifest[]) =>
  (find(manifests, 'Deployment') as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const operatorContainer = (manifests: Manifest[]): Container => {
  const container = podSpec(manifests).containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return container;
};
const injection = (manifests: Manifest[]) =>
  parseYaml(
    (find(manifests, 'ConfigMap', 'switchboard-injection') as unknown as { data: Record<string, string> })
      .data['injection.yaml'] ?? '',
  ) as Record<string, unknown>;
const rules = (manifests: Manifest[]): PolicyRule[] =>
  manifests
    .filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role')
    .flatMap((m) => (m as unknown as { rules: PolicyRule[] }).rules);

const DEFAULT_OBJECTS = [
  'ClusterRole/switchboard-switchboard-operator',
  'ClusterRole/switchboard-switchboard-operator-pools',
  'ClusterRoleBinding/switchboard-switchboard-operator',
  'ClusterRoleBinding/switchboard-switchboard-operator-pools',
  'ConfigMap/switchboard-injection',
  'Deployment/switchboard-operator',
  'MutatingWebhookConfiguration/switchboard-switchboard-injector',
  'PodDisruptionBudget/switchboard-operator',
  'Role/switchboard-operator',
  'RoleBinding/switchboard-operator',
  'Secret/switchboard-operator-tls',
  'Service/switchboard-operator',
  'ServiceAccount/switchboard-operator',
];

describe('the Helm chart, rendered', () => {
  test('helm lint --strict finds nothing to warn about', async () => {
    const out = await ok(helm(['lint', '--strict', chart, '--kube-version', KUBERNETES_VERSION]));
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  test("the chart's appVersion, the image tag's default, is the package's version", async () => {
    const chartYaml = parseYaml(await readFile(join(chart, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const packageJson = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    expect(chartYaml.appVersion).toBe(packageJson.version);
  });

  test("a Kubernetes version below the chart's kubeVersion is refused", async () => {
    const run = await helm(['template', 'switchboard', chart, '--kube-version', 'v1.29.0']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('chart requires kubeVersion: >= 1.30.0-0');
  });

  test('defaults: the operator, its account and RBAC, Service, PDB, webhook, injection config and empty cert Secret', async () => {
    const manifests = await render();
    expect(kinds(manifests)).toEqual(DEFAULT_OBJECTS);

    const service = find(manifests, 'Service') as unknown as {
      spec: { ports: { name: string; port: number; targetPort: string }[] };
    };
    expect(service.spec.ports).toEqual([
      { name: 'sync', port: 7070, targetPort: 'sync', protocol: 'TCP' },
      { name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' },
      { name: 'metrics', port: 9465, targetPort: 'metrics', protocol: 'TCP' },
    ]);

    const deployment = find(manifests, 'Deployment') as unknown as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(2);
    const pod = podSpec(manifests);
    expect(pod.securityContext).toEqual(
      expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }),
    );
    const container = operatorContainer(manifests);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.args).toEqual([
      'operator',
      '--port=9465',
      '--host=0.0.0.0',
      '--sync-port=7070',
      '--sync-host=0.0.0.0',
      '--webhook-port=9443',
      '--cert-secret=switchboard-operator-tls',
      '--service-name=switchboard-operator',
      '--webhook-config=switchboard-switchboard-injector',
      '--injection-config=/etc/switchboard/injection.yaml',
      '--relay-token-file=/var/run/secrets/switchboard-relay/token',
      '--lease-namespace=$(POD_NAMESPACE)',
      '--lease-name=switchboard-operator',
      '--id=$(POD_NAME)',
      '--log-level=info',
    ]);
    expect(container.env.map((e) => e.name)).toEqual(['POD_NAMESPACE', 'POD_NAME', 'POD_IP', 'NODE_OPTIONS']);
    // The relay token: the pod's own, for the one audience the sync channel accepts (SYNC_TOKEN_AUDIENCE).
    expect(pod.volumes).toContainEqual({
      name: 'relay-token',
      projected: {
        sources: [
          { serviceAccountToken: { audience: SYNC_TOKEN_AUDIENCE, expirationSeconds: 3600, path: 'token' } },
        ],
      },
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'relay-token',
      mountPath: '/var/run/secrets/switchboard-relay',
      readOnly: true,
    });
    expect(container.env.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe('--max-semi-space-size=2');

    const pdb = find(manifests, 'PodDisruptionBudget') as unknown as { spec: { maxUnavailable: number } };
    expect(pdb.spec.maxUnavailable).toBe(1);

    const secret = find(manifests, 'Secret');
    expect(secret.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(secret).not.toHaveProperty('data');

    const webhookConfig = find(manifests, 'MutatingWebhookConfiguration') as unknown as {
      metadata: { annotations?: unknown };
      webhooks: Record<string, unknown>[];
    };
    expect(webhookConfig.metadata.annotations).toBeUndefined();
    expect(webhookConfig.webhooks).toEqual([
      expect.objectContaining({
        name: 'sidecar.switchboard.dev',
        admissionReviewVersions: ['v1'],
        clientConfig: {
          service: { name: 'switchboard-operator', namespace: 'switchboard', path: '/inject', port: 443 },
        },
        objectSelector: { matchExpressions: [{ key: 'switchboard.dev/pool', operator: 'Exists' }] },
        namespaceSelector: {
          matchExpressions: [
            {
              key: 'kubernetes.io/metadata.name',
              operator: 'NotIn',
              values: ['kube-system', 'kube-public', 'kube-node-lease', 'switchboard'],
            },
          ],
        },
        sideEffects: 'NoneOnDryRun',
        reinvocationPolicy: 'IfNeeded',
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
      }),
    ]);
    // The operator patches caBundle; the chart never sets it, so an upgrade cannot reset it.
    expect(JSON.stringify(webhookConfig)).not.toContain('caBundle');

    expect(injection(manifests)).toEqual({
      image: 'switchboard:0.1.0',
      imagePullPolicy: 'IfNotPresent',
      operatorUrl: 'https://switchboard-operator.switchboard.svc:7070',
      tokenAudience: SYNC_TOKEN_AUDIENCE,
      tokenExpirationSeconds: 3600,
      port: 4000,
      metricsPort: 9464,
      nativeSidecar: 'auto',
      logLevel: 'info',
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      readinessProbe: { periodSeconds: 5, failureThreshold: 3 },
      livenessProbe: { periodSeconds: 10, failureThreshold: 3 },
    });
  });

  test('RBAC names every verb and resource (no wildcards) and names the one Secret, Lease and webhook it may change', async () => {
    const all = rules(await render());
    for (const rule of all) {
      expect([
        ...rule.apiGroups,
        ...rule.resources,
        ...rule.verbs,
        ...(rule.resourceNames ?? []),
      ]).not.toContain('*');
    }
    expect(all).toEqual(
      expect.arrayContaining([
        { apiGroups: ['switchboard.dev'], resources: ['providerpools'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['switchboard.dev'], resources: ['providerpools/status'], verbs: ['patch'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        {
          apiGroups: ['admissionregistration.k8s.io'],
          resources: ['mutatingwebhookconfigurations'],
          resourceNames: ['switchboard-switchboard-injector'],
          verbs: ['get', 'patch'],
        },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          resourceNames: ['switchboard-operator'],
          verbs: ['get', 'update'],
        },
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['switchboard-operator-tls'],
          verbs: ['get', 'update', 'watch'],
        },
      ]),
    );
    expect(all).toHaveLength(9);
  });

  test('cert-manager: a CA of its own and a Certificate mounted into the operator, caBundle by the CA injector', async () => {
    const manifests = await render(['--set', 'certificates.mode=cert-manager']);
    expect(kinds(manifests)).toEqual(
      [
        ...DEFAULT_OBJECTS.filter((o) => o !== 'Secret/switchboard-operator-tls'),
        'Certificate/switchboard-operator-ca',
        'Certificate/switchboard-operator-tls',
        'Issuer/switchboard-operator-ca',
        'Issuer/switchboard-operator-selfsigned',
      ].sort(),
    );
    const certificate = find(manifests, 'Certificate', 'switchboard-operator-tls') as unknown as {
      spec: { secretName: string; dnsNames: string[]; issuerRef: unknown };
    };
    expect(certificate.spec.secretName).toBe('switchboard-operator-tls');
    expect(certificate.spec.dnsNames).toContain('switchboard-operator.switchboard.svc');
    expect(certificate.spec.issuerRef).toEqual({ name: 'switchboard-operator-ca', kind: 'Issuer' });

    const container = operatorContainer(manifests);
    expect(container.args).toContain('--cert-dir=/etc/switchboard/tls');
    expect(container.args.some((a) => a.startsWith('--cert-secret'))).toBe(false);
    expect(container.volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'tls', mountPath: '/etc/switchboard/tls' }),
    );
    expect(podSpec(manifests).volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'switchboard-operator-tls' },
    });
    expect(find(manifests, 'MutatingWebhookConfiguration').metadata.annotations).toEqual({
      'cert-manager.io/inject-ca-from': 'switchboard/switchboard-operator-tls',
    });
    // cert-manager owns the Secret and the caBundle: the operator may touch neither.
    const resources = rules(manifests).flatMap((r) => r.resourceNames ?? []);
    expect(resources).toEqual(['switchboard-operator']);
  });

  test('cert-manager with an issuer of the cluster: only the serving Certificate, from that issuer', async () => {
    const manifests = await render([
      ...['--set', 'certificates.mode=cert-manager'],
      ...['--set-json', 'certificates.certManager.issuerRef={"name":"corp-ca","kind":"ClusterIssuer"}'],
    ]);
    expect(kinds(manifests).filter((k) => /^(Issuer|Certificate)\//.test(k))).toEqual([
      'Certificate/switchboard-operator-tls',
    ]);
    expect(
      (find(manifests, 'Certificate') as unknown as { spec: { issuerRef: unknown } }).spec.issuerRef,
    ).toEqual({ name: 'corp-ca', kind: 'ClusterIssuer' });
  });

  test('networkPolicy and serviceMonitor: sync from every namespace, webhook and metrics from the chosen sources', async () => {
    const manifests = await render([
      ...['--set', 'networkPolicy.enabled=true', '--set', 'serviceMonitor.enabled=true'],
      ...['--set-json', 'networkPolicy.webhookFrom=[{"ipBlock":{"cidr":"10.0.0.0/24"}}]'],
      ...[
        '--set-json',
        'networkPolicy.metricsFrom=[{"namespaceSelector":{"matchLabels":{"team":"monitoring"}}}]',
      ],
    ]);
    const policy = find(manifests, 'NetworkPolicy') as unknown as { spec: Record<string, unknown> };
    expect(policy.spec).toEqual({
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/name': 'switchboard',
          'app.kubernetes.io/instance': 'switchboard',
          'app.kubernetes.io/component': 'operator',
        },
      },
      policyTypes: ['Ingress'],
      ingress: [
        { ports: [{ port: 'sync', protocol: 'TCP' }], from: [{ namespaceSelector: {} }] },
        { ports: [{ port: 'webhook', protocol: 'TCP' }], from: [{ ipBlock: { cidr: '10.0.0.0/24' } }] },
        {
          ports: [{ port: 'metrics', protocol: 'TCP' }],
          from: [{ namespaceSelector: { matchLabels: { team: 'monitoring' } } }],
        },
      ],
    });
    const monitor = find(manifests, 'ServiceMonitor') as unknown as { spec: { endpoints: unknown } };
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  });

  // The operator reads this file with its strict parser at start: a key it does not know, or a value of the wrong
  // shape, would stop every replica. Each combination goes through the real parser and the real injection.
  test.each([
    [
      'the defaults',
      [],
      { image: 'switchboard:0.1.0', native: true, port: 4000, metricsPort: 9464, node: MEASURED },
    ],
    [
      'a regular container, ports of its own and a debug log',
      [
        ...['--set', 'sidecar.nativeSidecar=never', '--set', 'sidecar.port=4100'],
        ...['--set', 'sidecar.metricsPort=9500', '--set', 'sidecar.logLevel=debug'],
      ],
      { image: 'switchboard:0.1.0', native: false, port: 4100, metricsPort: 9500, node: MEASURED },
    ],
    [
      'full httpGet probes without a port, another image and pull policy',
      [
        ...[
          '--set',
          'sidecar.readinessProbe.httpGet.path=/readyz',
          '--set',
          'sidecar.livenessProbe.httpGet.path=/healthz',
        ],
        ...['--set', 'sidecar.image.repository=registry.example/sb', '--set', 'sidecar.image.tag=9.9.9'],
        ...['--set', 'image.pullPolicy=Always'],
      ],
      { image: 'registry.example/sb:9.9.9', native: true, port: 4000, metricsPort: 9464, node: MEASURED },
    ],
    [
      'cert-manager certificates, a watched namespace and a name override',
      [
        ...['--set', 'certificates.mode=cert-manager', '--set', 'operator.watchNamespace=team-a'],
        ...['--set', 'fullnameOverride=sb', '--set', 'sidecar.token.expirationSeconds=7200'],
      ],
      { image: 'switchboard:0.1.0', native: true, port: 4000, metricsPort: 9464, node: MEASURED },
    ],
    [
      'a larger young generation for the sidecar',
      ['--set', 'sidecar.nodeOptions=--max-semi-space-size=16 --max-old-space-size=256'],
      {
        image: 'switchboard:0.1.0',
        native: true,
        port: 4000,
        metricsPort: 9464,
        node: '--max-semi-space-size=16 --max-old-space-size=256',
      },
    ],
    [
      "Node's defaults for the sidecar",
      ['--set-string', 'sidecar.nodeOptions='],
      { image: 'switchboard:0.1.0', native: true, port: 4000, metricsPort: 9464, node: undefined },
    ],
  ] as const)(
    "the injection config of %s parses with the operator's parser, and the sidecar's probes hit its metrics port",
    async (_what, args, want) => {
      const manifests = await render(args);
      const configMap = manifests.find(
        (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-injection'),
      );
      const text = (configMap as unknown as { data: Record<string, string> } | undefined)?.data[
        'injection.yaml'
      ];
      const config = parseInjectionConfig(parseYaml(text ?? ''), "the chart's injection.yaml");
      const service = find(manifests, 'Service');
      expect(config.operatorUrl).toBe(`https://${service.metadata.name}.switchboard.svc:7070`);
      expect(config).toMatchObject({ image: want.image, port: want.port, metricsPort: want.metricsPort });

      const decision = decideInjection(
        { metadata: { labels: { [POOL_LABEL]: 'chat' } }, spec: { containers: [{ name: 'app' }] } },
        {
          namespace: 'team-a',
          pool: { found: true, secretNames: [] },
          serverVersion: { major: 1, minor: 30 },
          operatorCaPem: undefined,
        },
        config,
      );
      if (!decision.inject) throw new Error(decision.reason);
      const containers = decision.patch.flatMap((p) =>
        Array.isArray(p.value) ? p.value : [p.value],
      ) as V1Container[];
      const sidecar = containers.find((c) => c.name === SIDECAR_NAME);
      expect(sidecar?.restartPolicy).toBe(want.native ? 'Always' : undefined);
      expect(sidecar?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: want.metricsPort });
      expect(sidecar?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: want.metricsPort });
      expect(sidecar?.ports).toEqual([
        { name: 'sb-metrics', containerPort: want.metricsPort, protocol: 'TCP' },
      ]);
      expect(sidecar?.args).toEqual(
        expect.arrayContaining(['--port', String(want.port), '--metrics-host', '0.0.0.0']),
      );
      expect(sidecar?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(want.node);
    },
  );

  test('a second release in the same namespace elects its own leader on a Lease of its own name', async () => {
    const docs = await render([], 'canary');
    expect(operatorContainer(docs).args).toContain('--lease-name=canary-switchboard-operator');
    const role = find(docs, 'Role') as unknown as {
      rules: { resources: string[]; resourceNames?: string[] }[];
    };
    expect(
      role.rules.filter((r) => r.resources.includes('leases')).flatMap((r) => r.resourceNames ?? []),
    ).toEqual(['canary-switchboard-operator']);
  });

  test('one replica: no PodDisruptionBudget (it would block every node drain)', async () => {
    const manifests = await render(['--set', 'operator.replicas=1']);
    expect(kinds(manifests)).not.toContain('PodDisruptionBudget/switchboard-operator');
    const deployment = find(manifests, 'Deployment') as unknown as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(1);
  });

  test('watchNamespace: the pool rules are bound in that namespace only, and the operator watches only it', async () => {
    const manifests = await render(['--set', 'operator.watchNamespace=team-a']);
    expect(kinds(manifests)).toContain('RoleBinding/switchboard-operator-pools');
    expect(kinds(manifests)).not.toContain('ClusterRoleBinding/switchboard-switchboard-operator-pools');
    expect(find(manifests, 'RoleBinding', 'switchboard-operator-pools').metadata.namespace).toBe('team-a');
    expect(operatorContainer(manifests).args).toContain('--namespace=team-a');
    // The operator can read pools there only: pods elsewhere must not reach its webhook (the lookup would fail).
    const webhookConfig = find(manifests, 'MutatingWebhookConfiguration') as unknown as {
      webhooks: { namespaceSelector: { matchExpressions: unknown[] } }[];
    };
    expect(webhookConfig.webhooks[0]?.namespaceSelector.matchExpressions).toContainEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'In',
      values: ['team-a'],
    });
  });

  test.each([
    ['operator.replicas=0', "at '/operator/replicas': minimum: got 0, want 1"],
    ['webhook.failurePolicy=Sometimes', "at '/webhook/failurePolicy': value must be one of 'Fail', 'Ignore'"],
    ['webhook.timeoutSeconds=60', "at '/webhook/timeoutSeconds': maximum: got 60, want 30"],
    [
      'sidecar.nativeSidecar=maybe',
      "at '/sidecar/nativeSidecar': value must be one of 'auto', 'always', 'never'",
    ],
    ['certificates.mode=vault', "at '/certificates/mode': value must be one of 'managed', 'cert-manager'"],
    ['operator.replica=3', "at '/operator': additional properties 'replica' not allowed"],
    [
      'sidecar.token.expirationSeconds=60',
      "at '/sidecar/token/expirationSeconds': minimum: got 60, want 600",
    ],
  ])('the values schema refuses %s with the field and the reason', async (value, message) => {
    const run = await helm([
      'template',
      'switchboard',
      chart,
      '--kube-version',
      KUBERNETES_VERSION,
      '--set',
      value,
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("values don't meet the specifications of the schema");
    expect(run.stderr).toContain(message);
  });

  describe('on the API server (server-side dry run)', () => {
    const ns = useNamespace('chart-render');

    test('the NetworkPolicy and PodDisruptionBudget the chart renders are valid objects', async () => {
      const out = await ok(
        helm([
          ...['template', 'switchboard', chart, '-n', ns.name, '--kube-version', KUBERNETES_VERSION],
          ...['--set', 'networkPolicy.enabled=true'],
          ...[
            '--set-json',
            'networkPolicy.metricsFrom=[{"podSelector":{"matchLabels":{"app":"prometheus"}}}]',
          ],
          ...[
            '--show-only',
            'templates/networkpolicy.yaml',
            '--show-only',
            'templates/poddisruptionbudget.yaml',
          ],
        ]),
      );
      const applied = await ok(kubectl(['apply', '--dry-run=server', '-n', ns.name, '-f', '-'], out));
      expect(applied.trim().split('\n').sort()).toEqual([
        'networkpolicy.networking.k8s.io/switchboard-operator created (server dry run)',
        'poddisruptionbudget.policy/switchboard-operator created (server dry run)',
      ]);
    });
  });
});
