/**
 * What the injector puts into a pod (`--injection-config FILE`, YAML, camelCase; the chart renders it from its
 * values). Validated here so a bad file stops the operator's start with the field named, not a broken pod later.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { SYNC_TOKEN_AUDIENCE } from '../../api/sync/sync-protocol.ts';
import { isRecord } from '../../core/json.ts';
import { SIDECAR_NODE_OPTIONS } from '../../core/sidecar-node-options.ts';

/** Where the sidecar reads Secrets by default (sidecar/config/resolve-secrets.ts reads `<dir>/<secret>/<key>`). */
export const DEFAULT_SIDECAR_SECRETS_DIR = '/var/run/secrets/switchboard';

/** A Kubernetes probe as the pod spec has it (kept loose: the API server validates its fields). */
const ProbeObjectSchema = z.record(z.string(), z.unknown());

/** Just the timing knobs; the injector fills in the handler (HTTP GET on the sidecar's health port). */
const ProbeKnobsSchema = z.strictObject({
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
});

/**
 * A probe: `false` for none, knobs (the handler is the sidecar's /healthz or /readyz), or a full probe object
 * (recognised by a handler field: httpGet, tcpSocket, exec or grpc) used as given.
 */
const ProbeSettingSchema = z.union([
  z.literal(false),
  ProbeObjectSchema.refine(
    (p) => ['httpGet', 'tcpSocket', 'exec', 'grpc'].some((h) => h in p),
    'a full probe names a handler (httpGet, tcpSocket, exec or grpc)',
  ),
  ProbeKnobsSchema,
]);

/** Quantities as the pod spec has them ("100m", "128Mi"); a bare number in YAML is taken as its string. */
const QuantitiesSchema = z.record(
  z.string(),
  z.union([z.string(), z.number()]).transform((q) => String(q)),
);

/**
 * The sidecar's NODE_OPTIONS: options separated by spaces, each one Node accepts there (checked against this
 * operator's Node, the sidecar's too with the chart's default image: a flag Node refuses there stops every injected
 * sidecar at start). Empty: Node's defaults.
 */
const NodeOptionsSchema = z
  .string()
  .transform((options) =>
    options
      .split(/\s+/)
      .filter((o) => o !== '')
      .join(' '),
  )
  .superRefine((options, ctx) => {
    for (const option of options === '' ? [] : options.split(' ')) {
      if (!process.allowedNodeEnvironmentFlags.has(option))
        ctx.addIssue({
          code: 'custom',
          message: `"${option}" is not an option Node accepts in NODE_OPTIONS (e.g. --max-semi-space-size=16)`,
        });
    }
  });

export const InjectionConfigSchema = z.strictObject({
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  /** The operator's sync channel as pods reach it, e.g. https://switchboard-operator.switchboard.svc:7070. */
  operatorUrl: z.url({ protocol: /^https?$/ }),
  /**
   * The audience of the sidecar's projected token: fixed, as the sync channel accepts tokens for this one audience
   * only. Still a field, so that configs rendered with it (the chart writes it) keep parsing; any other value is
   * refused at start rather than failing every sidecar's sync later.
   */
  tokenAudience: z
    .literal(SYNC_TOKEN_AUDIENCE, {
      error: `the audience is fixed: the operator's sync channel accepts tokens for audience "${SYNC_TOKEN_AUDIENCE}" only (leave tokenAudience out)`,
    })
    .default(SYNC_TOKEN_AUDIENCE),
  tokenExpirationSeconds: z.number().int().min(600).default(3600),
  port: z.number().int().min(1).max(65535).default(4000),
  metricsPort: z.number().int().min(1).max(65535).default(9464),
  resources: z
    .strictObject({ requests: QuantitiesSchema.optional(), limits: QuantitiesSchema.optional() })
    .default({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }),
  readinessProbe: ProbeSettingSchema.default({ periodSeconds: 5, failureThreshold: 3 }),
  livenessProbe: ProbeSettingSchema.default({ periodSeconds: 10, failureThreshold: 3 }),
  /** auto: a native sidecar (init container with restartPolicy Always) when the API server is 1.29 or newer. */
  nativeSidecar: z.enum(['auto', 'always', 'never']).default('auto'),
  secretsDir: z
    .string()
    .regex(/^\/\S*[^/]$/, 'an absolute path without a trailing slash')
    .default(DEFAULT_SIDECAR_SECRETS_DIR),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * The heap settings of the sidecar (NODE_OPTIONS); by default core/sidecar-node-options.ts, sized for memory.
   * Lifting the young generation's cap buys throughput with memory (docs/benchmarks.md, "Data plane").
   */
  nodeOptions: NodeOptionsSchema.default(SIDECAR_NODE_OPTIONS.join(' ')),
});

export type InjectionConfig = z.infer<typeof InjectionConfigSchema>;
export type ProbeSetting = InjectionConfig['readinessProbe'];

/** Validates a parsed document; the error lists each bad field on its own line. */
export function parseInjectionConfig(document: unknown, source = 'injection config'): InjectionConfig {
  const parsed = InjectionConfigSchema.safeParse(document ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `  ${i.path.length > 0 ? i.path.join('.') : '(document)'}: ${i.message}`,
  );
  throw new Error(`${source} is invalid:\n${problems.join('\n')}`);
}

export async function loadInjectionConfig(file: string): Promise<InjectionConfig> {
  const document: unknown = parse(await readFile(file, 'utf8'));
  if (document !== null && document !== undefined && !isRecord(document))
    throw new Error(`${file} is invalid: expected a YAML mapping`);
  return parseInjectionConfig(document, file);
}
