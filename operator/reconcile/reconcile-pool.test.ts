import { describe, expect, it } from '@jest/globals';
import { reconcilePool, type PoolObject } from './reconcile-pool.ts';
import type { SecretIndex } from './secret-references.ts';

const T0 = new Date('2026-11-25T10:00:00Z');
const T1 = new Date('2026-11-25T10:05:00Z');

function pool(generation: number, providers: Record<string, unknown>[], status?: unknown): PoolObject {
  return {
    metadata: { name: 'chat', namespace: 'team-a', generation },
    spec: {
      providers: providers.map((p) => ({
        type: 'openai',
        baseURL: 'https://api.openai.com/v1',
        models: [{ name: 'chat', model: 'gpt-4o-mini' }],
        ...p,
      })),
    },
    ...(status === undefined ? {} : { status }),
  };
}

const keyed = (name: string, secret = 'openai', key = 'api-key') => ({
  name,
  apiKey: { secretKeyRef: { name: secret, key } },
});
const secrets = (entries: Record<string, string[]>): SecretIndex =>
  new Map(Object.entries(entries).map(([n, keys]) => [n, new Set(keys)]));

const condition = (status: ReturnType<typeof reconcilePool>['status'], type: string) =>
  status.conditions?.find((c) => c.type === type);

describe('reconciling a ProviderPool', () => {
  it.each<{
    name: string;
    input: PoolObject;
    secrets: Record<string, string[]>;
    ready: [string, string, RegExp];
    publishes: boolean;
  }>([
    {
      name: 'a valid pool whose Secrets exist is Ready and publishes its configuration',
      input: pool(3, [keyed('primary')]),
      secrets: { openai: ['api-key'] },
      ready: ['True', 'ConfigPublished', /configuration [0-9a-f]{16} published; no sidecar connected yet/],
      publishes: true,
    },
    {
      name: 'a missing Secret makes it not Ready, names the Secret and keeps the last good configuration',
      input: pool(1, [keyed('primary', 'gone')]),
      secrets: {},
      ready: [
        'False',
        'SecretMissing',
        /spec\.providers\[0\]\.apiKey\.secretKeyRef: Secret "gone" not found \(provider primary\)/,
      ],
      publishes: false,
    },
    {
      name: 'a missing key in an existing Secret names the key',
      input: pool(1, [keyed('primary', 'openai', 'token')]),
      secrets: { openai: ['api-key'] },
      ready: ['False', 'SecretMissing', /Secret "openai" has no key "token"/],
      publishes: false,
    },
    {
      name: 'a spec the schema refuses is not Ready and says what to fix',
      input: pool(2, [{ name: 'primary', weight: -1 }]),
      secrets: {},
      ready: ['False', 'InvalidSpec', /spec\.providers\[0\]\.weight: must be ≥ 0/],
      publishes: false,
    },
    {
      name: 'a pool without keys (e.g. a local vLLM) needs no Secret',
      input: pool(1, [{ name: 'vllm' }]),
      secrets: {},
      ready: ['True', 'ConfigPublished', /published/],
      publishes: true,
    },
  ])('$name', ({ input, secrets: s, ready, publishes }) => {
    const out = reconcilePool(input, secrets(s), T0);
    const c = condition(out.status, 'Ready');
    expect([c?.status, c?.reason]).toEqual(ready.slice(0, 2));
    expect(c?.message).toMatch(ready[2]);
    expect(c?.observedGeneration).toBe(input.metadata.generation);
    expect(out.status.observedGeneration).toBe(input.metadata.generation);
    expect(out.config !== undefined).toBe(publishes);
    expect(out.statusChanged).toBe(true);
  });

  it('writes nothing when a reconcile finds what the stored status already says', () => {
    const first = reconcilePool(pool(1, [keyed('primary')]), secrets({ openai: ['api-key'] }), T0);
    const again = reconcilePool(
      pool(1, [keyed('primary')], first.status),
      secrets({ openai: ['api-key'] }),
      T1,
    );
    expect(again.statusChanged).toBe(false);
    expect(again.status).toEqual(first.status);
  });

  it('keeps a condition’s transition time while its status holds, and moves it when the status flips', () => {
    const missing = reconcilePool(pool(1, [keyed('primary')]), secrets({}), T0);
    expect(condition(missing.status, 'Ready')?.lastTransitionTime).toBe('2026-11-25T10:00:00Z');
    const stillMissing = reconcilePool(pool(1, [keyed('primary')], missing.status), secrets({}), T1);
    expect(condition(stillMissing.status, 'Ready')?.lastTransitionTime).toBe('2026-11-25T10:00:00Z');
    const restored = reconcilePool(
      pool(1, [keyed('primary')], missing.status),
      secrets({ openai: ['api-key'] }),
      T1,
    );
    expect(condition(restored.status, 'Ready')).toMatchObject({
      status: 'True',
      lastTransitionTime: '2026-11-25T10:05:00Z',
    });
    expect(restored.statusChanged).toBe(true);
  });

  it('observes a spec change: a new generation and a new configuration version', () => {
    const v1 = reconcilePool(pool(1, [{ name: 'a', weight: 1 }]), secrets({}), T0);
    const v2 = reconcilePool(pool(2, [{ name: 'a', weight: 2 }], v1.status), secrets({}), T1);
    expect(v2.statusChanged).toBe(true);
    expect(v2.status.observedGeneration).toBe(2);
    expect(v2.config?.version).not.toBe(v1.config?.version);
    expect(condition(v2.status, 'Ready')?.lastTransitionTime).toBe('2026-11-25T10:00:00Z'); // still True
  });

  it('gives equal specs the same configuration version whatever their key order', () => {
    const reversed = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reversed)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reversed(x)]),
            )
          : v;
    const a = pool(1, [{ name: 'p', weight: 2 }]);
    const b: PoolObject = { ...a, spec: reversed(a.spec) };
    expect(JSON.stringify(b.spec)).not.toBe(JSON.stringify(a.spec));
    const version = reconcilePool(a, secrets({}), T0).config?.version;
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    expect(reconcilePool(b, secrets({}), T0).config?.version).toBe(version);
  });

  it('counts providers for kubectl get and shows a drained one as Draining', () => {
    const out = reconcilePool(pool(1, [{ name: 'a' }, { name: 'b', weight: 0 }]), secrets({}), T0);
    expect(out.status.providerCount).toBe(2);
    expect(out.status.providers?.map((p) => [p.name, p.state])).toEqual([
      ['a', 'Unknown'],
      ['b', 'Draining'],
    ]);
    expect(condition(out.status, 'Degraded')).toMatchObject({ status: 'Unknown', reason: 'NoReports' });
  });

  it('is not Ready while connected sidecars have not applied the current configuration', () => {
    const out = reconcilePool(pool(1, [{ name: 'a' }]), secrets({}), T0, {
      sidecars: { connected: 3, reporting: 3, onCurrentVersion: 1 },
      nacks: [],
      providers: [{ name: 'a', state: 'Healthy' }],
    });
    expect(condition(out.status, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'RolloutInProgress',
      message: expect.stringMatching(/^1 of 3 connected sidecars run configuration [0-9a-f]{16}$/),
    });
  });

  it('is not Ready when a sidecar refused the current configuration, and says which and why', () => {
    const out = reconcilePool(pool(1, [{ name: 'a' }]), secrets({}), T0, {
      sidecars: { connected: 3, reporting: 3, onCurrentVersion: 1 },
      nacks: [
        { sidecar: 'app-1', reason: 'spec.providers[0].type: dialect "x" is not supported' },
        { sidecar: 'app-2', reason: 'same' },
      ],
      providers: [{ name: 'a', state: 'Healthy' }],
    });
    expect(condition(out.status, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ConfigRejected',
      message: expect.stringMatching(
        /^sidecar app-1 refused configuration [0-9a-f]{16} \(and 1 more sidecars\): spec.providers\[0\].type: dialect "x" is not supported$/,
      ),
    });
  });

  it('shows what the sidecars observed of each provider in place of the spec-only view', () => {
    const out = reconcilePool(pool(1, [{ name: 'a' }, { name: 'b' }]), secrets({}), T0, {
      sidecars: { connected: 2, reporting: 2, onCurrentVersion: 2 },
      nacks: [],
      providers: [
        { name: 'a', state: 'Healthy', effectiveWeight: 1.6, latencyP50Ms: 120 },
        { name: 'b', state: 'Unhealthy', effectiveWeight: 0.4 },
      ],
    });
    expect(out.status.healthyProviderCount).toBe(1);
    expect(out.status.providers?.[0]).toEqual({
      name: 'a',
      state: 'Healthy',
      effectiveWeight: 1.6,
      latencyP50Ms: 120,
    });
    expect(condition(out.status, 'Ready')).toMatchObject({ status: 'True', reason: 'ConfigPublished' });
    expect(condition(out.status, 'Degraded')).toMatchObject({ status: 'True', message: 'b (Unhealthy)' });
  });
});
