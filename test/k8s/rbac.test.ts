import { describe, expect, test } from '@jest/globals';
import { kubectl, ok } from './support/kube.ts';
import { createNamespace, useNamespace } from './support/namespace.ts';
import { applyOperatorRole, bindOperatorRoleClusterWide } from './support/operator-account.ts';

describe('RBAC authorization', () => {
  const ns = useNamespace('rbac');

  const canI = async (namespace: string, ...args: string[]) => {
    const run = await kubectl([
      'auth',
      'can-i',
      ...args,
      '-n',
      namespace,
      `--as=system:serviceaccount:${ns.name}:reader`,
    ]);
    // can-i prints yes/no and exits 0/1; anything else is an error.
    if (run.code > 1) throw new Error(run.stderr);
    return run.stdout.trim();
  };

  test('kubectl auth can-i answers from a Role and RoleBinding for a ServiceAccount', async () => {
    const { name } = ns;
    await ok(kubectl(['create', 'serviceaccount', 'reader', '-n', name]));
    await ok(
      kubectl([
        'create',
        'role',
        'configmap-reader',
        '-n',
        name,
        '--verb=get,list,watch',
        '--resource=configmaps',
      ]),
    );
    await ok(
      kubectl([
        ...['create', 'rolebinding', 'reader', '-n', name],
        ...['--role=configmap-reader', `--serviceaccount=${name}:reader`],
      ]),
    );

    expect(await canI(name, 'list', 'configmaps')).toBe('yes');
    expect(await canI(name, 'watch', 'configmaps')).toBe('yes');
    expect(await canI(name, 'delete', 'configmaps')).toBe('no');
    expect(await canI(name, 'get', 'secrets')).toBe('no');

    // A Role grants nothing outside its namespace.
    const other = await createNamespace(ns.config, 'rbac-other');
    expect(await canI(other, 'list', 'configmaps')).toBe('no');
  });

  test('the authorizer enforces what can-i predicts, and bootstrap roles exist', async () => {
    const { name } = ns;
    await ok(kubectl(['create', 'serviceaccount', 'nobody', '-n', name]));
    const run = await kubectl(['get', 'configmaps', '-n', name, `--as=system:serviceaccount:${name}:nobody`]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `User "system:serviceaccount:${name}:nobody" cannot list resource "configmaps" in API group "" in the namespace "${name}"`,
    );
    // The default ClusterRoles come from the RBAC bootstrap policy (a post-start hook of the real server).
    expect(await ok(kubectl(['get', 'clusterrole', 'view', '-o', 'name']))).toBe(
      'clusterrole.rbac.authorization.k8s.io/view\n',
    );
  });

  test("the operator's ClusterRole lets it create TokenReviews when bound cluster-wide, and a RoleBinding does not", async () => {
    const { name } = ns;
    await applyOperatorRole();
    await ok(kubectl(['create', 'serviceaccount', 'operator', '-n', name]));
    const review = () =>
      kubectl(
        [
          'create',
          '--validate=false',
          '-f',
          '-',
          '-o',
          'json',
          `--as=system:serviceaccount:${name}:operator`,
        ],
        JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token: 'not-a-token' },
        }),
      );

    await ok(
      kubectl([
        ...['create', 'rolebinding', 'operator', '-n', name],
        ...['--clusterrole=switchboard-operator', `--serviceaccount=${name}:operator`],
      ]),
    );
    const namespaced = await review();
    expect(namespaced.code).not.toBe(0);
    expect(namespaced.stderr).toContain(
      'cannot create resource "tokenreviews" in API group "authentication.k8s.io"',
    );

    await bindOperatorRoleClusterWide(name);
    const reviewed = JSON.parse(await ok(review())) as { status?: { authenticated?: boolean } };
    expect(reviewed.status?.authenticated).toBeFalsy();
  });
});
