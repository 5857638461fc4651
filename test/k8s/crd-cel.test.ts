import { beforeAll, describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { kubeFailure } from '../../operator/kube/api-error.ts';
import { MERGE_PATCH, SERVER_SIDE_APPLY } from '../../operator/kube/patch-options.ts';
import { kubectl, ok } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

const crdFile = fileURLToPath(new URL('./fixtures/widgets-crd.yaml', import.meta.url));
const widgets = { group: 'fixtures.switchboard.dev', version: 'v1', plural: 'widgets' } as const;

const widget = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'fixtures.switchboard.dev/v1', kind: 'Widget', metadata: { name }, spec });

describe('a CRD with CEL validation rules, applied from YAML', () => {
  const ns = useNamespace('crd');

  beforeAll(async () => {
    await ok(kubectl(['apply', '-f', crdFile]));
    await ok(
      kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=30s',
        'crd/widgets.fixtures.switchboard.dev',
      ]),
    );
  });

  test('accepts an object that satisfies the rules', async () => {
    const input = widget('good', { region: 'eu', minReplicas: 1, maxReplicas: 3 });
    const out = await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], input));
    expect(out).toContain('widget.fixtures.switchboard.dev/good created');
  });

  test("rejects an object that breaks a rule, with the rule's message", async () => {
    const input = widget('bad', { region: 'eu', minReplicas: 5, maxReplicas: 2 });
    const run = await kubectl(['apply', '-n', ns.name, '-f', '-'], input);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('minReplicas must not be greater than maxReplicas');
    expect(run.stderr).toContain('Invalid value');
    const get = await kubectl(['get', 'widget', 'bad', '-n', ns.name]);
    expect(get.stderr).toContain('NotFound');
  });

  test('enforces OpenAPI schema validation as well (types, minimum)', async () => {
    const input = widget('negative', { region: 'eu', minReplicas: -1, maxReplicas: 'many' });
    const run = await kubectl(['apply', '-n', ns.name, '-f', '-'], input);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /spec\.maxReplicas: Invalid value: "string": spec\.maxReplicas in body must be of type integer/,
    );
  });

  test('enforces a transition rule (oldSelf) on update', async () => {
    await ok(
      kubectl(
        ['apply', '-n', ns.name, '-f', '-'],
        widget('w', { region: 'eu', minReplicas: 1, maxReplicas: 1 }),
      ),
    );
    const run = await kubectl(
      ['apply', '-n', ns.name, '-f', '-'],
      widget('w', { region: 'us', minReplicas: 1, maxReplicas: 1 }),
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('region is immutable');
  });

  test('the status subresource: status is written only through /status, and server-side apply tracks managers', async () => {
    const { name: namespace } = ns;
    const api = ns.config.makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({
      ...widgets,
      namespace,
      body: {
        apiVersion: 'fixtures.switchboard.dev/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
        spec: { region: 'eu', minReplicas: 1, maxReplicas: 2 },
        status: { phase: 'ignored' },
      },
    })) as object;
    expect(created).not.toHaveProperty('status');

    // Server-side apply of the status, as the operator writes it.
    const applied = (await api.patchNamespacedCustomObjectStatus(
      {
        ...widgets,
        namespace,
        name: 'w',
        body: {
          apiVersion: 'fixtures.switchboard.dev/v1',
          kind: 'Widget',
          metadata: { name: 'w' },
          status: { phase: 'Ready' },
        },
        fieldManager: 'switchboard-test',
        force: true,
      },
      SERVER_SIDE_APPLY,
    )) as {
      status: { phase: string };
      metadata: { managedFields: { manager: string; subresource?: string }[] };
    };
    expect(applied.status.phase).toBe('Ready');
    expect(applied.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'switchboard-test', subresource: 'status' }),
    );

    // The rules hold for every writer, not only kubectl: an API patch that breaks one is refused with 422.
    const err = await api
      .patchNamespacedCustomObject(
        { ...widgets, namespace, name: 'w', body: { spec: { maxReplicas: 0 } } },
        MERGE_PATCH,
      )
      .catch((e: unknown) => e);
    expect(kubeFailure(err)).toMatchObject({ code: 422 });
    expect(kubeFailure(err).message).toContain('minReplicas must not be greater than maxReplicas');
  });
});
