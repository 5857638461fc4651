import { describe, expect, test } from '@jest/globals';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { applyPatch } from './json-patch.testing.ts';
import {
  decideInjection,
  parseServerVersion,
  secretVolumeName,
  usesNativeSidecar,
  SIDECAR_NAME,
  type InjectionFacts,
} from './inject-sidecar.ts';
import { parseInjectionConfig, type InjectionConfig } from './injection-config.ts';
import { SYNC_TOKEN_AUDIENCE } from '../../api/sync/sync-protocol.ts';

const config: InjectionConfig = parseInjectionConfig({
  image: 'ghcr.io/example/switchboard:1.2.3',
  operatorUrl: 'https://switchboard-operator.switchboard.svc:7070',
});
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const facts: InjectionFacts = {
  namespace: 'team',
  pool: { found: true, secretNames: ['openai', 'anthropic.keys', 'openai'] },
  serverVersion: { major: 1, minor: 36 },
  operatorCaPem: CA,
};

function pod(
  overrides: { labels?: Record<string, string>; containers?: V1Container[] } & Partial<V1Pod['spec']> = {},
): V1Pod {
  const {
    labels = { 'switchboard.dev/pool': 'chat' },
    containers = [{ name: 'app', image: 'app:1' }],
    ...spec
  } = overrides;
  return { metadata: { generateName: 'web-', labels }, spec: { containers, ...spec } };
}

/** The pod after the decision's patch, applied as the API server applies it. */
function injected(p: V1Pod, f: InjectionFacts = facts, c: InjectionConfig = config): V1Pod {
  const decision = decideInjection(p, f, c);
  if (!decision.inject) throw new Error(`not injected: ${decision.reason}`);
  return applyPatch(p, decision.patch);
}

const sidecarOf = (p: V1Pod) =>
  [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === SIDECAR_NAME);

describe('decideInjection', () => {
  test.each<[string, V1Pod, string]>([
    [
      'leaves a pod without the label alone',
      pod({ labels: { app: 'web' } }),
      'no switchboard.dev/pool label',
    ],
    ['leaves a pod whose label is empty alone', pod({ labels: { 'switchboard.dev/pool': '' } }), 'label'],
  ])('%s', (_name, p, reason) => {
    expect(decideInjection(p, facts, config)).toEqual({
      inject: false,
      reason: expect.stringContaining(reason),
    });
  });

  test('injects a native sidecar first among the init containers, with every field the sidecar needs', () => {
    const result = injected(pod({ initContainers: [{ name: 'migrate', image: 'app:1' }] }));
    expect(result.spec?.initContainers?.map((c) => c.name)).toEqual([SIDECAR_NAME, 'migrate']);
    expect(result.spec?.containers.map((c) => c.name)).toEqual(['app']);
    const sidecar = sidecarOf(result);
    expect(sidecar).toEqual({
      name: SIDECAR_NAME,
      image: 'ghcr.io/example/switchboard:1.2.3',
      imagePullPolicy: 'IfNotPresent',
      restartPolicy: 'Always',
      args: [
        'sidecar',
        '--port',
        '4000',
        '--metrics-port',
        '9464',
        '--metrics-host',
        '0.0.0.0',
        '--secrets-dir',
        '/var/run/secrets/switchboard',
        '--log-level',
        'info',
      ],
      env: [
        { name: 'SWITCHBOARD_OPERATOR_URL', value: 'https://switchboard-operator.switchboard.svc:7070' },
        { name: 'SWITCHBOARD_POOL', value: 'team/chat' },
        { name: 'SWITCHBOARD_TOKEN_FILE', value: '/var/run/secrets/switchboard-token/token' },
        { name: 'SWITCHBOARD_OPERATOR_CA_PEM', value: CA },
        { name: 'SWITCHBOARD_STATE_DIR', value: '/var/run/switchboard' },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NODE_OPTIONS', value: '--max-semi-space-size=4 --max-old-space-size=192 --expose-gc' },
        { name: 'GLIBC_TUNABLES', value: 'glibc.malloc.mmap_threshold=32768' },
      ],
      ports: [{ name: 'sb-metrics', containerPort: 9464, protocol: 'TCP' }],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      readinessProbe: { httpGet: { path: '/readyz', port: 9464 }, periodSeconds: 5, failureThreshold: 3 },
      livenessProbe: { httpGet: { path: '/healthz', port: 9464 }, periodSeconds: 10, failureThreshold: 3 },
      startupProbe: { httpGet: { path: '/healthz', port: 9464 }, periodSeconds: 1, failureThreshold: 30 },
      volumeMounts: [
        { name: 'switchboard-token', mountPath: '/var/run/secrets/switchboard-token', readOnly: true },
        { name: 'switchboard-state', mountPath: '/var/run/switchboard' },
        {
          name: secretVolumeName('anthropic.keys'),
          mountPath: '/var/run/secrets/switchboard/anthropic.keys',
          readOnly: true,
        },
        {
          name: secretVolumeName('openai'),
          mountPath: '/var/run/secrets/switchboard/openai',
          readOnly: true,
        },
      ],
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    });
    expect(result.spec?.volumes).toEqual([
      {
        name: 'switchboard-token',
        projected: {
          sources: [
            { serviceAccountToken: { audience: 'switchboard', expirationSeconds: 3600, path: 'token' } },
          ],
        },
      },
      { name: 'switchboard-state', emptyDir: { sizeLimit: '16Mi' } },
      { name: secretVolumeName('anthropic.keys'), secret: { secretName: 'anthropic.keys', optional: true } },
      { name: secretVolumeName('openai'), secret: { secretName: 'openai', optional: true } },
    ]);
    expect(result.metadata?.annotations).toEqual({ 'switchboard.dev/injected': 'chat' });
  });

  test('points every app container at the sidecar unless it sets the variable itself', () => {
    const result = injected(
      pod({
        containers: [
          { name: 'a', image: 'a' },
          { name: 'b', image: 'b', env: [{ name: 'OPENAI_BASE_URL', value: 'https://proxy.example/v1' }] },
        ],
      }),
    );
    expect(result.spec?.containers.map((c) => c.env)).toEqual([
      [
        { name: 'OPENAI_BASE_URL', value: 'http://localhost:4000/v1' },
        { name: 'ANTHROPIC_BASE_URL', value: 'http://localhost:4000' },
      ],
      [
        { name: 'OPENAI_BASE_URL', value: 'https://proxy.example/v1' },
        { name: 'ANTHROPIC_BASE_URL', value: 'http://localhost:4000' },
      ],
    ]);
  });

  test('injects a regular container where native sidecars are not supported', () => {
    const result = injected(pod(), { ...facts, serverVersion: { major: 1, minor: 28 } });
    expect(result.spec?.initContainers).toBeUndefined();
    expect(result.spec?.containers.map((c) => c.name)).toEqual(['app', SIDECAR_NAME]);
    const sidecar = sidecarOf(result);
    expect(sidecar?.restartPolicy).toBeUndefined();
    expect(sidecar?.startupProbe).toBeUndefined();
    // Appending the sidecar does not shift the app container's env patch.
    expect(result.spec?.containers[0]?.env?.[0]).toEqual({
      name: 'OPENAI_BASE_URL',
      value: 'http://localhost:4000/v1',
    });
    expect(result.spec?.containers[1]?.env?.some((e) => e.name === 'OPENAI_BASE_URL')).toBe(false);
  });

  test('re-invocation injects nothing twice: the patch of an injected pod is empty', () => {
    const once = injected(pod({ volumes: [{ name: 'data', emptyDir: {} }] }));
    expect(decideInjection(once, facts, config)).toEqual({
      inject: true,
      pool: 'team/chat',
      patch: [],
      warnings: [],
    });
  });

  test('re-invocation of a pod naming a missing pool warns nothing again (one Warning Event per pod)', () => {
    const missing = { ...facts, pool: { found: false } } as const;
    const once = injected(pod(), missing);
    expect(decideInjection(once, missing, config)).toEqual({
      inject: true,
      pool: 'team/chat',
      patch: [],
      warnings: [],
    });
  });

  test('re-invocation after another webhook added a container only points that container at the sidecar', () => {
    const once = injected(pod());
    once.spec?.containers.push({ name: 'added-later', image: 'x' });
    const decision = decideInjection(once, facts, config);
    expect(decision).toMatchObject({
      patch: [{ op: 'add', path: '/spec/containers/1/env', value: expect.any(Array) }],
    });
  });

  test('a pod naming a missing pool still gets the sidecar, no Secret mounts, and a warning', () => {
    const decision = decideInjection(pod(), { ...facts, pool: { found: false } }, config);
    if (!decision.inject) throw new Error('expected an injection');
    expect(decision.warnings).toEqual([expect.stringContaining('ProviderPool team/chat does not exist')]);
    expect(decision.warnings[0]!.length).toBeLessThanOrEqual(256);
    const result = applyPatch(pod(), decision.patch);
    expect(sidecarOf(result)?.volumeMounts?.map((m) => m.name)).toEqual([
      'switchboard-token',
      'switchboard-state',
    ]);
  });

  test('without a CA (plain-HTTP operator) no CA variable is set', () => {
    const result = injected(pod(), { ...facts, operatorCaPem: undefined });
    expect(sidecarOf(result)?.env?.map((e) => e.name)).not.toContain('SWITCHBOARD_OPERATOR_CA_PEM');
  });

  test('configured ports, probes, resources, token lifetime, secrets dir and log level are used', () => {
    const custom = parseInjectionConfig({
      ...config,
      port: 4100,
      metricsPort: 9500,
      tokenExpirationSeconds: 7200,
      secretsDir: '/keys',
      logLevel: 'debug',
      resources: { requests: { cpu: 0.1 } },
      readinessProbe: false,
      livenessProbe: { tcpSocket: { port: 9500 }, periodSeconds: 30 },
      nativeSidecar: 'never',
    });
    const result = injected(pod(), facts, custom);
    const sidecar = sidecarOf(result);
    expect(sidecar?.args).toEqual(expect.arrayContaining(['4100', '9500', '/keys', 'debug']));
    expect(sidecar?.readinessProbe).toBeUndefined();
    expect(sidecar?.livenessProbe).toEqual({ tcpSocket: { port: 9500 }, periodSeconds: 30 });
    expect(sidecar?.resources).toEqual({ requests: { cpu: '0.1' } });
    expect(sidecar?.volumeMounts?.find((m) => m.mountPath === '/keys/openai')).toBeDefined();
    expect(result.spec?.volumes?.[0]?.projected?.sources?.[0]?.serviceAccountToken).toEqual({
      audience: SYNC_TOKEN_AUDIENCE,
      expirationSeconds: 7200,
      path: 'token',
    });
    expect(result.spec?.containers[0]?.env?.[0]?.value).toBe('http://localhost:4100/v1');
  });

  test.each<[string, string, string | undefined]>([
    [
      'a larger young generation is passed on as given',
      '--max-semi-space-size=16',
      '--max-semi-space-size=16',
    ],
    [
      'spaces around and between options are tidied',
      '  --expose-gc   --max-old-space-size=256 ',
      '--expose-gc --max-old-space-size=256',
    ],
    ["empty leaves NODE_OPTIONS out: Node's defaults", '', undefined],
  ])("the sidecar's node options: %s", (_name, nodeOptions, expected) => {
    const sidecar = sidecarOf(injected(pod(), facts, parseInjectionConfig({ ...config, nodeOptions })));
    expect(sidecar?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(expected);
    // The allocator setting is independent of the heap flags.
    expect(sidecar?.env?.find((e) => e.name === 'GLIBC_TUNABLES')?.value).toBe(
      'glibc.malloc.mmap_threshold=32768',
    );
  });

  test('a full httpGet probe without a port gets the health port', () => {
    const custom = parseInjectionConfig({
      ...config,
      readinessProbe: { httpGet: { path: '/readyz' }, periodSeconds: 2 },
    });
    expect(sidecarOf(injected(pod(), facts, custom))?.readinessProbe).toEqual({
      httpGet: { path: '/readyz', port: 9464 },
      periodSeconds: 2,
    });
  });

  test('a volume the pod already has under an injected name is not added again', () => {
    const result = injected(pod({ volumes: [{ name: 'switchboard-state', emptyDir: {} }] }));
    expect(result.spec?.volumes?.filter((v) => v.name === 'switchboard-state')).toHaveLength(1);
  });
});

describe('native sidecar support', () => {
  test.each<[string, InjectionConfig['nativeSidecar'], string, boolean]>([
    ['auto uses it from 1.29', 'auto', 'v1.29.0', true],
    ['auto uses it on a provider build', 'auto', 'v1.30.4-gke.1348000', true],
    ['auto does not on 1.28', 'auto', 'v1.28.9', false],
    ['auto does not when the version is unknown', 'auto', 'unknown', false],
    ['always forces it', 'always', 'v1.20.0', true],
    ['never refuses it', 'never', 'v1.36.0', false],
  ])('%s', (_name, setting, version, expected) => {
    expect(usesNativeSidecar(setting, parseServerVersion(version))).toBe(expected);
  });
});

describe('injection config', () => {
  test('names every bad field', () => {
    expect(() =>
      parseInjectionConfig({ operatorUrl: 'ftp://x', port: 0, nativeSidecar: 'sometimes' }),
    ).toThrow(/image: .*\n.*operatorUrl: .*\n.*port: .*\n.*nativeSidecar/s);
  });

  test('refuses unknown fields (a typo would otherwise be ignored)', () => {
    expect(() => parseInjectionConfig({ ...config, imagePullPolicyy: 'Always' })).toThrow(/imagePullPolicyy/);
  });

  test.each<[string, unknown, string]>([
    ['left out', undefined, SYNC_TOKEN_AUDIENCE],
    ['the one the sync channel accepts', SYNC_TOKEN_AUDIENCE, SYNC_TOKEN_AUDIENCE],
  ])("the token audience %s is the sync channel's", (_, tokenAudience, expected) => {
    const { tokenAudience: _default, ...rest } = config;
    const parsed = parseInjectionConfig(tokenAudience === undefined ? rest : { ...rest, tokenAudience });
    expect(parsed.tokenAudience).toBe(expected);
  });

  test('any other token audience is refused, saying the audience is fixed', () => {
    expect(() => parseInjectionConfig({ ...config, tokenAudience: 'sb' })).toThrow(
      /tokenAudience: the audience is fixed: .*accepts tokens for audience "switchboard" only/,
    );
  });

  test.each<[string, string, RegExp]>([
    [
      'a V8 flag Node refuses in NODE_OPTIONS',
      '--max-semi-space-size=8 --no-minor-gc-task',
      /nodeOptions: "--no-minor-gc-task" is not an option Node accepts in NODE_OPTIONS/,
    ],
    [
      'a word that is no option',
      'max-semi-space-size=8',
      /nodeOptions: "max-semi-space-size=8" is not an option/,
    ],
  ])('node options: %s is refused, named', (_name, nodeOptions, message) => {
    expect(() => parseInjectionConfig({ ...config, nodeOptions })).toThrow(message);
  });

  test('a full probe needs a handler', () => {
    expect(() => parseInjectionConfig({ ...config, livenessProbe: { periodSeconds: 1, port: 3 } })).toThrow(
      /livenessProbe/,
    );
  });
});
