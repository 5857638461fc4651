/**
 * The collections the operator watches: each one's REST path (what the library's Watch and ListWatch take) and
 * a page lister on the library's typed APIs.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
  type V1ListMeta,
  type V1Secret,
} from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../api/v1alpha1/providerpool.ts';
import { PLURAL } from '../../api/v1alpha1/providerpool-crd.ts';
import { isRecord } from '../../core/json.ts';
import { isNotFound } from './api-error.ts';
import type { ListPage, Page } from '../informer/informer.ts';

export interface Collection<T extends KubernetesObject> {
  readonly path: string;
  readonly listPage: ListPage<T>;
  readonly fieldSelector?: string;
}

export const PROVIDER_POOLS = { group: API_GROUP, version: API_VERSION, plural: PLURAL } as const;

export interface PoolObject extends KubernetesObject {
  spec?: unknown;
  status?: unknown;
}

/** ProviderPools of one namespace, or of all when `namespace` is undefined. */
export function providerPoolCollection(config: KubeConfig, namespace?: string): Collection<PoolObject> {
  const api = config.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = PROVIDER_POOLS;
  return {
    path: collectionPath(`/apis/${group}/${version}`, plural, namespace),
    // The custom-objects API answers untyped JSON (`continue`, not the typed lists' `_continue`).
    listPage: async ({ limit, continue: next }) => {
      const page = { group, version, plural, limit, _continue: next };
      const list: unknown = await (namespace === undefined
        ? api.listClusterCustomObject(page)
        : api.listNamespacedCustomObject({ ...page, namespace }));
      return untypedPage(list);
    },
  };
}

export function secretCollection(config: KubeConfig, namespace?: string): Collection<V1Secret> {
  const api = config.makeApiClient(CoreV1Api);
  return {
    path: collectionPath('/api/v1', 'secrets', namespace),
    listPage: async ({ limit, continue: _continue }) =>
      typedPage(
        await (namespace === undefined
          ? api.listSecretForAllNamespaces({ limit, _continue })
          : api.listNamespacedSecret({ namespace, limit, _continue })),
      ),
  };
}

/**
 * One Secret by name, as a collection of at most one: "listed" by a GET and watched with `metadata.name=NAME`, so
 * RBAC restricted to that resourceName needs only `get` and `watch` (no `list`). The watch resumes from the
 * Secret's own resourceVersion; a missing Secret starts the watch from now (the server sends it when it appears).
 */
export function namedSecretCollection(
  config: KubeConfig,
  namespace: string,
  name: string,
): Collection<V1Secret> {
  const api = config.makeApiClient(CoreV1Api);
  return {
    path: collectionPath('/api/v1', 'secrets', namespace),
    fieldSelector: `metadata.name=${name}`,
    listPage: async () => {
      try {
        const secret = await api.readNamespacedSecret({ name, namespace });
        return { items: [secret], resourceVersion: secret.metadata?.resourceVersion };
      } catch (err) {
        if (isNotFound(err)) return { items: [] };
        throw err;
      }
    },
  };
}

export function configMapCollection(config: KubeConfig, namespace: string): Collection<V1ConfigMap> {
  const api = config.makeApiClient(CoreV1Api);
  return {
    path: collectionPath('/api/v1', 'configmaps', namespace),
    listPage: async ({ limit, continue: _continue }) =>
      typedPage(await api.listNamespacedConfigMap({ namespace, limit, _continue })),
  };
}

function collectionPath(prefix: string, plural: string, namespace: string | undefined): string {
  return namespace === undefined
    ? `${prefix}/${plural}`
    : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

function typedPage<T extends KubernetesObject>(list: { items: T[]; metadata?: V1ListMeta }): Page<T> {
  return {
    items: list.items,
    resourceVersion: list.metadata?.resourceVersion,
    continue: list.metadata?._continue,
  };
}

function untypedPage(list: unknown): Page<PoolObject> {
  if (!isRecord(list) || !Array.isArray(list.items))
    throw new Error('the API server answered a list without items');
  const metadata = isRecord(list.metadata) ? list.metadata : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    items: list.items.filter(isObject),
    resourceVersion: text(metadata.resourceVersion),
    continue: text(metadata.continue),
  };
}

/** A JSON object with metadata: what the API server's lists hold. */
const isObject = (item: unknown): item is PoolObject => isRecord(item) && isRecord(item.metadata);
