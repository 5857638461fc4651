/** Which ServiceAccount a Kubernetes username names, if any: `system:serviceaccount:<namespace>:<name>`. */

export interface ServiceAccountName {
  readonly namespace: string;
  readonly name: string;
}

const PREFIX = 'system:serviceaccount:';
/** Namespaces are DNS labels; ServiceAccount names DNS subdomains. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The ServiceAccount of a username; undefined for any other kind of user (people, nodes, groups, anonymous). */
export function serviceAccountOf(username: string): ServiceAccountName | undefined {
  if (!username.startsWith(PREFIX)) return undefined;
  const [namespace, name, ...rest] = username.slice(PREFIX.length).split(':');
  if (namespace === undefined || name === undefined || rest.length > 0) return undefined;
  if (!NAMESPACE.test(namespace) || !NAME.test(name)) return undefined;
  return { namespace, name };
}
