/**
 * The generated ProviderPool CRD on a real API server: installed as users install it, every rule and bound
 * rejecting its bad object with its message, defaults filled in, `kubectl explain` and `kubectl get` output, and
 * the status subresource. Each rejection also records what the sidecar's zod schema says of the same object, so
 * the table documents where a cluster is stricter than a standalone file (and fails if the two drift apart).
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ProviderPoolSchema, ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import { CRD_NAME } from '../../api/v1alpha1/providerpool-crd.ts';
import { ProviderPoolStatusSchema, type ProviderPoolStatus } from '../../api/v1alpha1/providerpool-status.ts';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { PROVIDER_POOLS } from '../../operator/kube/collections.ts';
import { SERVER_SIDE_APPLY } from '../../operator/kube/patch-options.ts';
import { kubectl, ok } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

const crdDir = fileURLToPath(new URL('../../crds/', import.meta.url));
const poolFile = fileURLToPath(new URL('./fixtures/providerpool/pool.yaml', import.meta.url));

type Json = Record<string, unknown>;
interface Pool extends Json {
  metadata: { name: string };
  spec: { providers: Json[]; [field: string]: unknown };
}

let example: Pool;

/** A copy of the example pool (DESIGN §2 with Secret references) named `name`, changed by `change`. */
function pool(name: string, change: (spec: Pool['spec']) => void = () => {}): Pool {
  const copy = structuredClone(example);
  copy.metadata.name = name;
  change(copy.spec);
  return copy;
}

const provider = (spec: Pool['spec'], i = 0): Json => {
  const p = spec.providers[i];
  if (!p) throw new Error(`the example has no provider ${i}`);
  return p;
};
const models = (p: Json): Json[] => p.models as Json[];
const numbered = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

const apply = (namespace: string, object: unknown) =>
  kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify(object));

/** Collapses the line wrapping of `kubectl explain` so a description can be found whole. */
const unwrap = (text: string) => text.replace(/\s+/g, ' ');

/** Polls until `attempt` resolves without throwing (the OpenAPI of a new CRD is published asynchronously). */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

beforeAll(async () => {
  example = parseYaml(await readFile(poolFile, 'utf8')) as Pool;
  const out = await ok(kubectl(['apply', '--server-side', '-f', crdDir]));
  expect(out).toContain(`customresourcedefinition.apiextensions.k8s.io/${CRD_NAME} serverside-applied`);
  await ok(kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${CRD_NAME}`]));
});

describe('a valid ProviderPool', () => {
  const ns = useNamespace('pool');

  test('the example pool written for a cluster is accepted, and the server fills in the defaults zod would', async () => {
    const out = await ok(kubectl(['apply', '-n', ns.name, '-f', poolFile]));
    expect(out).toContain('providerpool.switchboard.dev/chat created');
    const stored = JSON.parse(
      await ok(kubectl(['get', 'providerpool', 'chat', '-n', ns.name, '-o', 'json'])),
    ) as Pool;
    expect(stored.spec.breaker).toMatchObject({ consecutiveFailures: 5, maxBackoffMs: 300_000 });
    expect(stored.spec.timeouts).toEqual({
      connectMs: 5000,
      firstByteMs: 60_000,
      idleStreamMs: 30_000,
      totalMs: 600_000,
    });
    expect(stored.spec.retry).toEqual({ attempts: 2, budgetRatio: 0.2, minRetriesPerSecond: 5 });
    // The whole spec, defaults included, is what the sidecar's own schema makes of the manifest.
    expect(stored.spec).toEqual(ProviderPoolSpecSchema.parse(example.spec));
  });

  test('a provider left without weight gets weight 1, and one without apiKey (a keyless endpoint) is accepted', async () => {
    const keyless = pool('keyless', (spec) => {
      delete provider(spec, 1).weight;
      delete provider(spec, 1).apiKey;
    });
    await ok(apply(ns.name, keyless));
    const stored = JSON.parse(
      await ok(
        kubectl(['get', 'providerpool', 'keyless', '-n', ns.name, '-o', 'jsonpath={.spec.providers[1]}']),
      ),
    ) as Json;
    expect(stored.weight).toBe(1);
    expect(stored).not.toHaveProperty('apiKey');
  });

  test('the largest pool the bounds allow passes the CEL rules within the API server’s runtime budget', async () => {
    // 64 providers of 64 logical models with names of the longest length; all but the last provider drained, so
    // the served-model rule has to look every drained model up among the last provider's.
    const name = (i: number) => `m${i}`.padEnd(256, 'x');
    const largest = pool('largest', (spec) => {
      spec.providers = numbered(64, (i) => ({
        ...provider(spec),
        name: `p${i}`,
        baseURL: `https://${'h'.repeat(2000)}.example.com/v1`,
        weight: i === 63 ? 1 : 0,
        models: numbered(64, (j) => ({ name: name(i === 63 ? j : 63 - j), model: 'm' })),
      }));
    });
    const out = await ok(
      kubectl(['create', '--dry-run=server', '-n', ns.name, '-f', '-'], JSON.stringify(largest)),
    );
    expect(out).toContain('providerpool.switchboard.dev/largest created (server dry run)');
  });

  test('server-side apply merges providers by name: two managers each own one provider', async () => {
    const [primary, backup] = example.spec.providers;
    const as = (manager: string, providers: Json[]) =>
      kubectl(
        ['apply', '--server-side', `--field-manager=${manager}`, '-n', ns.name, '-f', '-'],
        JSON.stringify({ ...pool('merged'), spec: { providers } }),
      );
    await ok(as('team-a', [primary as Json]));
    await ok(as('team-b', [backup as Json]));
    const names = await ok(
      kubectl(['get', 'providerpool', 'merged', '-n', ns.name, '-o', 'jsonpath={.spec.providers[*].name}']),
    );
    expect(names.split(' ').sort()).toEqual(['backup', 'primary']);
  });
});

/**
 * [sentence, change to the example, what kubectl's stderr must contain, what the sidecar's zod schema says of the
 * same object]. "accepted" marks a rule only a cluster has.
 */
type Rejection = [string, (spec: Pool['spec']) => void, readonly string[], 'rejected' | 'accepted'];

const rejections: Rejection[] = [
  // CEL rules
  [
    'an API key read from the environment is forbidden in a cluster',
    (spec) => (provider(spec).apiKey = { env: 'OPENAI_API_KEY' }),
    [
      'spec.providers[0].apiKey.env: Forbidden: apiKey.env is for standalone sidecars only: in a cluster, use apiKey.secretKeyRef',
    ],
    'accepted',
  ],
  [
    'an API key with both sources names the forbidden one',
    (spec) => (provider(spec).apiKey = { env: 'K', secretKeyRef: { name: 'keys', key: 'k' } }),
    ['spec.providers[0].apiKey.env: Forbidden: apiKey.env is for standalone sidecars only'],
    'rejected',
  ],
  [
    'an API key without a source needs a secretKeyRef',
    (spec) => (provider(spec).apiKey = {}),
    ['spec.providers[0].apiKey.secretKeyRef: Required value: apiKey.secretKeyRef is required in a cluster'],
    'rejected',
  ],
  [
    'a base URL with another scheme than http(s)',
    (spec) => (provider(spec).baseURL = 'ftp://files.example.com/v1'),
    [
      'spec.providers[0].baseURL: Invalid value: "ftp://files.example.com/v1": baseURL must be an http:// or https:// URL with a host',
    ],
    'rejected',
  ],
  [
    'a base URL that is not a URL',
    (spec) => (provider(spec).baseURL = 'api.openai.com/v1'),
    [
      'spec.providers[0].baseURL: Invalid value: "api.openai.com/v1": baseURL must be an http:// or https:// URL',
    ],
    'rejected',
  ],
  [
    'a base URL without a host',
    (spec) => (provider(spec).baseURL = 'http:/v1'),
    [
      'spec.providers[0].baseURL: Invalid value: "http:/v1": baseURL must be an http:// or https:// URL with a host',
    ],
    'rejected',
  ],
  [
    'all weights 0',
    (spec) => spec.providers.forEach((p) => (p.weight = 0)),
    [
      'spec.providers: Invalid value: spec.providers[].weight: all weights are 0, at least one provider must take traffic',
    ],
    'rejected',
  ],
  [
    'a logical model served only by a provider with weight 0',
    (spec) => {
      provider(spec, 1).weight = 0;
      models(provider(spec, 1)).push({ name: 'embed', model: 'text-embedding-3-small' });
    },
    [
      'spec.providers: Invalid value: spec.providers[].models[].name: every logical model needs a provider with weight > 0 serving it',
    ],
    'accepted',
  ],
  [
    'a breaker whose backoff cap is below its first backoff',
    (spec) => (spec.breaker = { baseBackoffMs: 10_000, maxBackoffMs: 5_000 }),
    ['spec.breaker.maxBackoffMs: Invalid value: breaker.maxBackoffMs must be ≥ breaker.baseBackoffMs'],
    'rejected',
  ],
  // List maps: unique keys, checked by the API server itself
  [
    'two providers with the same name',
    (spec) => (provider(spec, 1).name = 'primary'),
    ['spec.providers[1]: Duplicate value: {"name":"primary"}'],
    'rejected',
  ],
  [
    'a logical model listed twice for one provider',
    (spec) => models(provider(spec)).push({ name: 'chat', model: 'gpt-4o' }),
    ['spec.providers[0].models[1]: Duplicate value: {"name":"chat"}'],
    'rejected',
  ],
  // Enums
  [
    'an unknown strategy',
    (spec) => (spec.strategy = { type: 'fastest' }),
    [
      'spec.strategy.type: Unsupported value: "fastest": supported values: "round-robin", "weighted-round-robin"',
    ],
    'rejected',
  ],
  [
    'an unknown strategy a request may ask for',
    (spec) => (spec.strategy = { allowOverride: ['cheapest'] }),
    ['spec.strategy.allowOverride[0]: Unsupported value: "cheapest"'],
    'rejected',
  ],
  [
    'an unknown provider dialect',
    (spec) => (provider(spec).type = 'opnai'),
    ['spec.providers[0].type: Unsupported value: "opnai": supported values: "openai", "openai-compatible"'],
    'rejected',
  ],
  // Numbers
  [
    'a negative weight',
    (spec) => (provider(spec).weight = -1),
    [
      'spec.providers[0].weight: Invalid value: -1: spec.providers[0].weight in body should be greater than or equal to 0',
    ],
    'rejected',
  ],
  [
    'a weight above the maximum',
    (spec) => (provider(spec).weight = 1_000_001),
    ['spec.providers[0].weight in body should be less than or equal to 1000000'],
    'rejected',
  ],
  [
    'a failure-rate threshold of 0 (the bound is exclusive)',
    (spec) => (spec.breaker = { failureRateThreshold: 0 }),
    ['spec.breaker.failureRateThreshold in body should be greater than 0'],
    'rejected',
  ],
  [
    'a fractional retry count',
    (spec) => (spec.retry = { attempts: 1.5 }),
    ['spec.retry.attempts: Invalid value: "number": spec.retry.attempts in body must be of type integer'],
    'rejected',
  ],
  [
    'more retries than the maximum',
    (spec) => (spec.retry = { attempts: 11 }),
    ['spec.retry.attempts in body should be less than or equal to 10'],
    'rejected',
  ],
  [
    'a retry budget ratio above 1',
    (spec) => (spec.retry = { budgetRatio: 1.5 }),
    ['spec.retry.budgetRatio in body should be less than or equal to 1'],
    'rejected',
  ],
  [
    'a timeout of 0 ms',
    (spec) => (spec.timeouts = { connectMs: 0 }),
    ['spec.timeouts.connectMs in body should be greater than or equal to 1'],
    'rejected',
  ],
  [
    'a provider timeout above an hour',
    (spec) => (provider(spec).timeouts = { totalMs: 3_600_001 }),
    ['spec.providers[0].timeouts.totalMs in body should be less than or equal to 3600000'],
    'rejected',
  ],
  [
    'a request-body limit below 1 KiB',
    (spec) => (spec.limits = { maxRequestBodyBytes: 100 }),
    ['spec.limits.maxRequestBodyBytes in body should be greater than or equal to 1024'],
    'rejected',
  ],
  [
    'a negative price',
    (spec) =>
      (models(provider(spec))[0] = {
        name: 'chat',
        model: 'm',
        pricing: { inputPerMillionTokens: -1, outputPerMillionTokens: 0 },
      }),
    [
      'spec.providers[0].models[0].pricing.inputPerMillionTokens in body should be greater than or equal to 0',
    ],
    'rejected',
  ],
  [
    'an output-token limit of 0',
    (spec) => (models(provider(spec))[0] = { name: 'chat', model: 'm', maxOutputTokens: 0 }),
    ['spec.providers[0].models[0].maxOutputTokens in body should be greater than or equal to 1'],
    'rejected',
  ],
  [
    'a weight that is not a number',
    (spec) => (provider(spec).weight = 'heavy'),
    [
      'spec.providers[0].weight: Invalid value: "string": spec.providers[0].weight in body must be of type number',
    ],
    'rejected',
  ],
  // Strings
  [
    'a provider name that is not a DNS label',
    (spec) => (provider(spec).name = 'Primary_1'),
    ["spec.providers[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"],
    'rejected',
  ],
  [
    'a provider name longer than a DNS label',
    (spec) => (provider(spec).name = 'p'.repeat(64)),
    ['spec.providers[0].name: Too long: may not be more than 63 bytes'],
    'rejected',
  ],
  [
    'a Secret name that is not a DNS label',
    (spec) => (provider(spec).apiKey = { secretKeyRef: { name: 'Provider Keys', key: 'k' } }),
    ["spec.providers[0].apiKey.secretKeyRef.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"],
    'rejected',
  ],
  [
    'an API version with characters a query parameter should not carry',
    (spec) => (provider(spec).apiVersion = '2024-10-21&x=1'),
    ["spec.providers[0].apiVersion in body should match '^[A-Za-z0-9.-]+$'"],
    'rejected',
  ],
  [
    'an empty logical model name',
    (spec) => (models(provider(spec))[0] = { name: '', model: 'm' }),
    [
      'spec.providers[0].models[0].name: Invalid value: "": spec.providers[0].models[0].name in body should be at least 1 chars long',
    ],
    'rejected',
  ],
  [
    'a base URL longer than the cluster allows (a bound for the cost of CEL rules)',
    (spec) => (provider(spec).baseURL = `https://api.example.com/${'v'.repeat(2048)}`),
    ['spec.providers[0].baseURL: Too long: may not be more than 2048 bytes'],
    'accepted',
  ],
  // Required fields and list sizes
  [
    'a spec without providers',
    (spec) => delete (spec as Json).providers,
    ['spec.providers: Required value'],
    'rejected',
  ],
  [
    'a provider without a base URL',
    (spec) => delete provider(spec).baseURL,
    ['spec.providers[0].baseURL: Required value'],
    'rejected',
  ],
  [
    'a model mapping without the provider’s model',
    (spec) => (models(provider(spec))[0] = { name: 'chat' }),
    ['spec.providers[0].models[0].model: Required value'],
    'rejected',
  ],
  [
    'a Secret reference without a key',
    (spec) => (provider(spec).apiKey = { secretKeyRef: { name: 'keys' } }),
    ['spec.providers[0].apiKey.secretKeyRef.key: Required value'],
    'rejected',
  ],
  [
    'an empty provider list',
    (spec) => (spec.providers = []),
    ['spec.providers: Invalid value: 0: spec.providers in body should have at least 1 items'],
    'rejected',
  ],
  [
    'a provider without models',
    (spec) => (provider(spec).models = []),
    ['spec.providers[0].models in body should have at least 1 items'],
    'rejected',
  ],
  [
    'more than 64 providers',
    (spec) => (spec.providers = numbered(65, (i) => ({ ...provider(spec), name: `p${i}` }))),
    ['spec.providers: Too many: 65: must have at most 64 items'],
    'rejected',
  ],
  [
    'more than 64 models for one provider (a bound for the cost of CEL rules)',
    (spec) => (provider(spec).models = numbered(65, (i) => ({ name: `m${i}`, model: 'm' }))),
    ['spec.providers[0].models: Too many: 65: must have at most 64 items'],
    'accepted',
  ],
  // Unknown fields: kubectl asks for strict field validation; the API server would otherwise prune them.
  [
    'a misspelt field',
    (spec) => (provider(spec).wieght = 2),
    ['strict decoding error: unknown field "spec.providers[0].wieght"'],
    'rejected',
  ],
];

describe('a ProviderPool that breaks a rule is rejected at once, with a message naming the field', () => {
  const ns = useNamespace('pool-bad');

  test.each(rejections)('%s', async (_sentence, change, messages, standalone) => {
    const bad = pool('bad', change);
    const run = await apply(ns.name, bad);
    expect(run.code).not.toBe(0);
    for (const message of messages) expect(unwrap(run.stderr)).toContain(message);
    expect(ProviderPoolSchema.safeParse(bad).success ? 'accepted' : 'rejected').toBe(standalone);
  });

  test('the same rules hold for an update: weighting every provider 0 is refused and the pool stays as it was', async () => {
    await ok(kubectl(['apply', '-n', ns.name, '-f', poolFile]));
    const run = await kubectl([
      'patch',
      'providerpool',
      'chat',
      '-n',
      ns.name,
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/providers/0/weight', value: 0 },
        { op: 'replace', path: '/spec/providers/1/weight', value: 0 },
      ]),
    ]);
    expect(run.stderr).toContain('all weights are 0');
    const weights = await ok(
      kubectl(['get', 'providerpool', 'chat', '-n', ns.name, '-o', 'jsonpath={.spec.providers[*].weight}']),
    );
    expect(weights).toBe('3 1');
  });
});

describe('kubectl explain documents the fields', () => {
  test.each([
    [
      'providerpool.spec.providers.weight',
      'Relative share of traffic; fractions allowed; 0 drains the provider. Default: 1.',
    ],
    [
      'providerpool.spec.strategy.type',
      'How a provider is picked for each request. Default: weighted-round-robin.',
    ],
    ['providerpool.spec.providers.apiKey', 'In a cluster only secretKeyRef is allowed'],
    [
      'providerpool.spec.providers.models.name',
      'Logical model name that applications put in the request’s "model" field.',
    ],
    [
      'providerpool.status.providers.rateLimitedRate',
      'Share (0 to 1) of those requests the provider answered with 429.',
    ],
    [
      'providerpool.status.conditions.type',
      'Type of the condition in CamelCase: Ready, Degraded, RateLimited.',
    ],
  ])('%s', async (field, description) => {
    const out = await eventually(() => ok(kubectl(['explain', field])));
    expect(unwrap(out)).toContain(description);
  });
});

describe('kubectl get and the status subresource', () => {
  const ns = useNamespace('pool-status');

  const status: ProviderPoolStatus = {
    observedGeneration: 1,
    providerCount: 2,
    healthyProviderCount: 1,
    sidecars: { connected: 3, reporting: 3, onCurrentVersion: 2 },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
        reason: 'ProvidersAvailable',
        message: '1 of 2 providers healthy',
      },
    ],
    providers: [
      {
        name: 'primary',
        state: 'Healthy',
        effectiveWeight: 3,
        requestRate: 12.5,
        errorRate: 0.01,
        rateLimitedRate: 0,
        latencyP50Ms: 420,
        latencyP95Ms: 1300,
        timeToFirstTokenP50Ms: 210,
      },
      { name: 'backup', state: 'Unhealthy', effectiveWeight: 0 },
    ],
  };

  const patchStatus = (body: unknown) =>
    kubectl([
      'patch',
      'providerpool',
      'chat',
      '-n',
      ns.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(body),
    ]);
  const rows = async (...extra: string[]) =>
    (await ok(kubectl(['get', 'providerpools', '-n', ns.name, ...extra]))).trim().split('\n');
  const cells = (line: string | undefined) => (line ?? '').trim().split(/\s+/);

  test('the printer columns show the strategy at once, and what the status says once it is written', async () => {
    await ok(kubectl(['apply', '-n', ns.name, '-f', poolFile]));
    const [header, before] = await rows();
    expect(cells(header)).toEqual(['NAME', 'STRATEGY', 'PROVIDERS', 'HEALTHY', 'SIDECARS', 'READY', 'AGE']);
    // No status yet: the counts are empty rather than made up.
    expect(cells(before)).toEqual(['chat', 'weighted-round-robin', expect.stringMatching(/^\d+s$/)]);

    expect(await ok(patchStatus({ status }))).toContain('providerpool.switchboard.dev/chat patched');
    const [, after] = await rows();
    expect(cells(after)).toEqual([
      'chat',
      'weighted-round-robin',
      '2',
      '1',
      '3',
      'True',
      expect.stringMatching(/^\d+s$/),
    ]);
    const [wideHeader, wide] = await rows('-o', 'wide');
    expect(cells(wideHeader).slice(-2)).toEqual(['UP-TO-DATE', 'REASON']);
    expect(cells(wide).slice(-2)).toEqual(['2', 'ProvidersAvailable']);
  });

  test('a status sent with the object is dropped: only the status subresource writes it', async () => {
    await ok(apply(ns.name, { ...pool('chat'), status }));
    const stored = JSON.parse(
      await ok(kubectl(['get', 'providerpool', 'chat', '-n', ns.name, '-o', 'json'])),
    ) as Json;
    expect(stored).not.toHaveProperty('status');
  });

  test.each<[string, unknown, string]>([
    [
      'a condition status other than True, False, Unknown',
      { conditions: [{ ...status.conditions?.[0], status: 'Maybe' }] },
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
    ],
    [
      'a condition reason that is not CamelCase',
      { conditions: [{ ...status.conditions?.[0], reason: 'all good' }] },
      'status.conditions[0].reason: Invalid value: "all good"',
    ],
    [
      'a transition time that is not RFC 3339',
      { conditions: [{ ...status.conditions?.[0], lastTransitionTime: 'yesterday' }] },
      'status.conditions[0].lastTransitionTime: Invalid value: "yesterday"',
    ],
    [
      'two conditions of one type',
      { conditions: [status.conditions?.[0], status.conditions?.[0]] },
      'status.conditions[1]: Duplicate value: {"type":"Ready"}',
    ],
    [
      'an unknown provider state',
      { providers: [{ name: 'primary', state: 'Sleeping' }] },
      'status.providers[0].state: Unsupported value: "Sleeping"',
    ],
    [
      'an error rate above 1 (it is a share)',
      { providers: [{ name: 'primary', state: 'Healthy', errorRate: 2 }] },
      'status.providers[0].errorRate: Invalid value: 2: providers[0].errorRate in body should be less than or equal to 1',
    ],
    [
      'a negative sidecar count',
      { sidecars: { connected: -1, reporting: 0, onCurrentVersion: 0 } },
      'status.sidecars.connected: Invalid value: -1: sidecars.connected in body should be greater than or equal to 0',
    ],
  ])(
    'the status subresource validates what the operator writes: %s is refused',
    async (_sentence, bad, message) => {
      await ok(kubectl(['apply', '-n', ns.name, '-f', poolFile]));
      const run = await patchStatus({ status: bad });
      expect(run.code).not.toBe(0);
      expect(unwrap(run.stderr)).toContain(message);
      // The operator's own schema refuses it as well, before it ever reaches the API server.
      expect(ProviderPoolStatusSchema.safeParse(bad).success).toBe(false);
    },
  );

  test('the operator’s server-side apply of the status is accepted, owned by its manager on the status subresource', async () => {
    await ok(kubectl(['apply', '-n', ns.name, '-f', poolFile]));
    const applied = (await ns.config.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
      {
        ...PROVIDER_POOLS,
        namespace: ns.name,
        name: 'chat',
        body: {
          apiVersion: 'switchboard.dev/v1alpha1',
          kind: 'ProviderPool',
          metadata: { name: 'chat' },
          status,
        },
        fieldManager: 'switchboard-operator',
        force: true,
      },
      SERVER_SIDE_APPLY,
    )) as {
      status: ProviderPoolStatus;
      metadata: { managedFields: { manager: string; subresource?: string }[] };
    };
    expect(applied.status).toEqual(status);
    expect(ProviderPoolStatusSchema.parse(status)).toEqual(status);
    expect(applied.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'switchboard-operator', subresource: 'status' }),
    );
  });
});
