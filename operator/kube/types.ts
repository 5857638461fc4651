import type { KubernetesObject } from '@kubernetes/client-node';

/** "namespace/name", or "name" for cluster-scoped objects: the key of stores and work queues. */
export function objectKey(object: KubernetesObject): string {
  const namespace = object.metadata?.namespace;
  const name = object.metadata?.name ?? '';
  return namespace ? `${namespace}/${name}` : name;
}
