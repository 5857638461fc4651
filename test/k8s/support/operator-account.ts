/**
 * The operator's identity in the test cluster as the chart sets it up: the repository's ClusterRole, a
 * ServiceAccount `operator` and a ClusterRoleBinding between them (TokenReviews need the cluster-wide binding).
 */
import { fileURLToPath } from 'node:url';
import { kubectl, ok } from './kube.ts';

/** rbac/operator-clusterrole.yaml: the role the chart installs (`switchboard-operator`). */
export const OPERATOR_ROLE_FILE = fileURLToPath(
  new URL('../../../rbac/operator-clusterrole.yaml', import.meta.url),
);

/** Applies the operator's ClusterRole (idempotent). */
export async function applyOperatorRole(): Promise<void> {
  await ok(kubectl(['apply', '-f', OPERATOR_ROLE_FILE]));
}

/** Binds the operator's ClusterRole cluster-wide to ServiceAccount `account` of `namespace`. */
export async function bindOperatorRoleClusterWide(namespace: string, account = 'operator'): Promise<void> {
  await ok(
    kubectl([
      ...['create', 'clusterrolebinding', `${namespace}-${account}`],
      ...['--clusterrole=switchboard-operator', `--serviceaccount=${namespace}:${account}`],
    ]),
  );
}

/** The role applied, ServiceAccount `operator` created in `namespace` and bound cluster-wide, as the chart does. */
export async function createOperatorAccount(namespace: string): Promise<void> {
  await applyOperatorRole();
  await ok(kubectl(['create', 'serviceaccount', 'operator', '-n', namespace]));
  await bindOperatorRoleClusterWide(namespace);
}
