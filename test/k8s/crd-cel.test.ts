import { beforeAll, describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { KubeApiError } from '../../operator/kube/api-error.ts';
import { kubectl, ok } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

const crdFile = fileURLToPath(new URL('./fixtures/widgets-crd.yaml', import.meta.url));
const widgets = (namespace: string) => `/apis/fixtures.switchboard.dev/v1/namespaces/${namespace}/widgets`;

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
    const { client, name } = ns;
    const created = await client.request<{ metadata: { generation: number } }>('POST', widgets(name), {
      apiVersion: 'fixtures.switchboard.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { region: 'eu', minReplicas: 1, maxReplicas: 2 },
      status: { phase: 'ignored' },
    });
    expect(created).not.toHaveProperty('status');

    // Server-side apply of the status, as the operator will write it.
    const applied = await client.request<{
      status: { phase: string };
      metadata: { managedFields: { manager: string; subresource?: string }[] };
    }>(
      'PATCH',
      `${widgets(name)}/w/status?fieldManager=switchboard-test&force=true`,
      {
        apiVersion: 'fixtures.switchboard.dev/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
        status: { phase: 'Ready' },
      },
      'application/apply-patch+yaml',
    );
    expect(applied.status.phase).toBe('Ready');
    expect(applied.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'switchboard-test', subresource: 'status' }),
    );

    // The rules hold for every writer, not only kubectl: an API patch that breaks one is refused with 422.
    const err = await client
      .request('PATCH', `${widgets(name)}/w`, { spec: { maxReplicas: 0 } }, 'application/merge-patch+json')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(422);
    expect((err as KubeApiError).message).toContain('minReplicas must not be greater than maxReplicas');
  });
});
