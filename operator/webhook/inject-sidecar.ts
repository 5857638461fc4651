/**
 * The sidecar injection as a pure function: a pod as admission sees it, the facts gathered about its pool and the
 * cluster, and the injection config in; a JSONPatch (RFC 6902) out. The webhook's HTTP shell (webhook-routes.ts)
 * only parses the AdmissionReview, gathers the facts and wraps the answer.
 *
 * The patch converges rather than appends: each part (the sidecar container, each volume, each app container's
 * base-URL variables) is added only when absent, so a re-invocation (reinvocationPolicy: IfNeeded, or another
 * webhook running after this one) yields an empty patch or only what a later webhook's new container lacks, and
 * nothing is ever added twice.
 */
import { createHash } from 'node:crypto';
import type { V1Container, V1EnvVar, V1Pod, V1Probe, V1Volume } from '@kubernetes/client-node';
import { SIDECAR_ENVIRONMENT } from '../../core/sidecar-node-options.ts';
import type { InjectionConfig, ProbeSetting } from './injection-config.ts';

export const POOL_LABEL = 'switchboard.dev/pool';
export const SIDECAR_NAME = 'switchboard-sidecar';
/** Marks an injected pod (for `kubectl get pods -l`-style audits; the decision itself looks at the containers). */
export const INJECTED_ANNOTATION = 'switchboard.dev/injected';

const TOKEN_VOLUME = 'switchboard-token';
const TOKEN_DIR = '/var/run/secrets/switchboard-token';
const STATE_VOLUME = 'switchboard-state';
const STATE_DIR = '/var/run/switchboard';
/** Native sidecars (init containers with restartPolicy Always) are on by default from Kubernetes 1.29. */
const NATIVE_SIDECAR_SINCE = { major: 1, minor: 29 } as const;
/** The uid the sidecar runs as when the image does not say (distroless' "nonroot"); any non-root uid works. */
const SIDECAR_UID = 65532;

export interface ServerVersion {
  readonly major: number;
  readonly minor: number;
}

export interface InjectionFacts {
  /** The namespace of the admission request (a pod's metadata.namespace may still be empty then). */
  readonly namespace: string;
  /** The pool named by the label, if it exists in the pod's namespace, with the Secrets its providers reference. */
  readonly pool:
    { readonly found: true; readonly secretNames: readonly string[] } | { readonly found: false };
  /** The API server's version, for `nativeSidecar: auto`. */
  readonly serverVersion: ServerVersion | undefined;
  /** The CA (PEM) that signed the operator's sync channel certificate; undefined for a plain-HTTP operator. */
  readonly operatorCaPem: string | undefined;
}

export interface JsonPatchOperation {
  readonly op: 'add';
  readonly path: string;
  readonly value: unknown;
}

export type InjectionDecision =
  | { readonly inject: false; readonly reason: string }
  | {
      readonly inject: true;
      readonly pool: string;
      readonly patch: readonly JsonPatchOperation[];
      readonly warnings: readonly string[];
    };

/** The pool a pod asks for by its label, or undefined when it does not ask (or asks for "" ). */
export function requestedPool(pod: V1Pod): string | undefined {
  const value = pod.metadata?.labels?.[POOL_LABEL];
  return value === undefined || value === '' ? undefined : value;
}

/** Parses "v1.29.3", "v1.30.0-gke.1", or major/minor fields ("1", "30+") into numbers. */
export function parseServerVersion(gitVersion: string): ServerVersion | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function usesNativeSidecar(
  setting: InjectionConfig['nativeSidecar'],
  version: ServerVersion | undefined,
): boolean {
  if (setting !== 'auto') return setting === 'always';
  if (version === undefined) return false; // unknown: the form every version runs
  return (
    version.major > NATIVE_SIDECAR_SINCE.major ||
    (version.major === NATIVE_SIDECAR_SINCE.major && version.minor >= NATIVE_SIDECAR_SINCE.minor)
  );
}

/** A volume name (a DNS-1123 label, ≤ 63 chars) for a Secret's name (a subdomain, ≤ 253 chars, may have dots). */
export function secretVolumeName(secretName: string): string {
  return `switchboard-secret-${createHash('sha256').update(secretName).digest('hex').slice(0, 12)}`;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export function decideInjection(
  pod: V1Pod,
  facts: InjectionFacts,
  config: InjectionConfig,
): InjectionDecision {
  const pool = requestedPool(pod);
  if (pool === undefined) return { inject: false, reason: `the pod has no ${POOL_LABEL} label` };
  const spec = pod.spec;
  if (spec === undefined) return { inject: false, reason: 'the pod has no spec' };

  const patch: JsonPatchOperation[] = [];
  const warnings: string[] = [];
  const poolRef = `${facts.namespace}/${pool}`;
  const hasSidecar = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some(
    (c) => c.name === SIDECAR_NAME,
  );
  // Warned once, when the sidecar is added: a re-invocation (the API server re-runs webhooks after its own
  // plugins change the pod again) must not record a second Warning Event for the same pod.
  if (!facts.pool.found && !hasSidecar) {
    warnings.push(
      `ProviderPool ${poolRef} does not exist: the pod is admitted with the switchboard sidecar, which stays ` +
        'not ready (and says why at /readyz) until the pool is created',
    );
  }
  if (!hasSidecar) {
    const native = usesNativeSidecar(config.nativeSidecar, facts.serverVersion);
    const container = sidecarContainer(poolRef, facts, config, native);
    if (native) {
      // First, so the app's own init containers can already call it.
      if (spec.initContainers === undefined) patch.push(add('/spec/initContainers', [container]));
      else patch.push(add('/spec/initContainers/0', container));
    } else {
      patch.push(add('/spec/containers/-', container));
    }
    const existing = new Set((spec.volumes ?? []).map((v) => v.name));
    const volumes = sidecarVolumes(facts, config).filter((v) => !existing.has(v.name));
    if (spec.volumes === undefined) patch.push(add('/spec/volumes', volumes));
    else for (const volume of volumes) patch.push(add('/spec/volumes/-', volume));
    const annotations = pod.metadata?.annotations;
    if (annotations === undefined) patch.push(add('/metadata/annotations', { [INJECTED_ANNOTATION]: pool }));
    else patch.push(add(`/metadata/annotations/${escapePointer(INJECTED_ANNOTATION)}`, pool));
  }

  (spec.containers ?? []).forEach((container, i) => {
    if (container.name === SIDECAR_NAME) return;
    const missing = baseUrlEnv(config).filter((v) => !(container.env ?? []).some((e) => e.name === v.name));
    if (missing.length === 0) return;
    if (container.env === undefined) patch.push(add(`/spec/containers/${i}/env`, missing));
    else for (const variable of missing) patch.push(add(`/spec/containers/${i}/env/-`, variable));
  });
  return { inject: true, pool: poolRef, patch, warnings };
}

const add = (path: string, value: unknown): JsonPatchOperation => ({ op: 'add', path, value });

/**
 * What the official SDKs read to find their API: OpenAI's at /v1; Anthropic's SDK appends /v1/messages itself, and
 * the sidecar serves that path. A container that sets a variable itself keeps its value. (A value from `envFrom`
 * cannot be seen here and would be overridden by `env`: set the variable in `env` to keep it.)
 */
function baseUrlEnv(config: InjectionConfig): V1EnvVar[] {
  return [
    { name: 'OPENAI_BASE_URL', value: `http://localhost:${config.port}/v1` },
    { name: 'ANTHROPIC_BASE_URL', value: `http://localhost:${config.port}` },
  ];
}

function sidecarVolumes(facts: InjectionFacts, config: InjectionConfig): V1Volume[] {
  const secretNames = facts.pool.found ? [...new Set(facts.pool.secretNames)].sort() : [];
  return [
    {
      name: TOKEN_VOLUME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: config.tokenAudience,
              expirationSeconds: config.tokenExpirationSeconds,
              path: 'token',
            },
          },
        ],
      },
    },
    { name: STATE_VOLUME, emptyDir: { sizeLimit: '16Mi' } },
    // optional: a Secret created later (or never) must not keep the pod from starting; the sidecar names what
    // is missing when a provider needs it.
    ...secretNames.map((secretName) => ({
      name: secretVolumeName(secretName),
      secret: { secretName, optional: true },
    })),
  ];
}

function sidecarContainer(
  poolRef: string,
  facts: InjectionFacts,
  config: InjectionConfig,
  native: boolean,
): V1Container {
  const secretNames = facts.pool.found ? [...new Set(facts.pool.secretNames)].sort() : [];
  const health = (path: string): V1Probe => ({ httpGet: { path, port: config.metricsPort } });
  const readiness = probe(config.readinessProbe, health('/readyz'));
  const liveness = probe(config.livenessProbe, health('/healthz'));
  return {
    name: SIDECAR_NAME,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy,
    // The image's entrypoint is the switchboard CLI.
    args: [
      'sidecar',
      '--port',
      String(config.port),
      '--metrics-port',
      String(config.metricsPort),
      // The API stays on loopback (only the pod's own containers call it); health and metrics must be
      // reachable on the pod IP for the kubelet's probes and Prometheus.
      '--metrics-host',
      '0.0.0.0',
      '--secrets-dir',
      config.secretsDir,
      '--log-level',
      config.logLevel,
    ],
    env: [
      { name: 'SWITCHBOARD_OPERATOR_URL', value: config.operatorUrl },
      { name: 'SWITCHBOARD_POOL', value: poolRef },
      { name: 'SWITCHBOARD_TOKEN_FILE', value: `${TOKEN_DIR}/token` },
      ...(facts.operatorCaPem === undefined
        ? []
        : [{ name: 'SWITCHBOARD_OPERATOR_CA_PEM', value: facts.operatorCaPem }]),
      { name: 'SWITCHBOARD_STATE_DIR', value: STATE_DIR },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      // The heap bounds (core/sidecar-node-options.ts, sized for a container in every pod, unless the chart's
      // sidecar.nodeOptions says otherwise) and the allocator setting the sidecar is measured with.
      ...(config.nodeOptions === '' ? [] : [{ name: 'NODE_OPTIONS', value: config.nodeOptions }]),
      ...Object.entries(SIDECAR_ENVIRONMENT).map(([name, value]) => ({ name, value })),
    ],
    ports: [{ name: 'sb-metrics', containerPort: config.metricsPort, protocol: 'TCP' }],
    resources: config.resources,
    ...(readiness === undefined ? {} : { readinessProbe: readiness }),
    ...(liveness === undefined ? {} : { livenessProbe: liveness }),
    // A native sidecar holds back the app's containers until this passes, so apps never call a closed port.
    ...(native
      ? {
          restartPolicy: 'Always',
          startupProbe: { ...health('/healthz'), periodSeconds: 1, failureThreshold: 30 },
        }
      : {}),
    volumeMounts: [
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
      { name: STATE_VOLUME, mountPath: STATE_DIR },
      ...secretNames.map((secretName) => ({
        name: secretVolumeName(secretName),
        mountPath: `${config.secretsDir}/${secretName}`,
        readOnly: true,
      })),
    ],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: SIDECAR_UID,
      runAsGroup: SIDECAR_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/**
 * The probe a setting asks for: none, the default handler with the given knobs, or the full object given (an
 * httpGet without a port gets the health port: the API port listens on loopback, which the kubelet cannot reach).
 */
function probe(setting: ProbeSetting, handler: V1Probe): V1Probe | undefined {
  if (setting === false) return undefined;
  if (!['httpGet', 'tcpSocket', 'exec', 'grpc'].some((h) => h in setting)) return { ...handler, ...setting };
  const given = setting as V1Probe;
  return given.httpGet === undefined || given.httpGet.port !== undefined
    ? given
    : { ...given, httpGet: { ...given.httpGet, port: handler.httpGet?.port ?? 0 } };
}
