/** The shapes of the Kubernetes API that the operator relies on; everything else stays `unknown`. */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
}

export interface KubeList<T extends KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** metav1.Status: what the API server answers with on errors (and in ERROR watch events). */
export interface Status {
  kind?: 'Status';
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export type WatchEvent<T extends KubeObject> =
  { readonly type: WatchEventType; readonly object: T } | { readonly type: 'ERROR'; readonly object: Status };

/** Which collection a request is about, e.g. {group: 'switchboard.dev', version: 'v1alpha1', plural: 'providerpools'}. */
export interface ResourceType {
  /** '' for the core group (ConfigMaps, Secrets, ...). */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** "namespace/name", or "name" for cluster-scoped objects: the key of stores and work queues. */
export function objectKey(object: KubeObject): string {
  const namespace = object.metadata?.namespace;
  const name = object.metadata?.name ?? '';
  return namespace ? `${namespace}/${name}` : name;
}
