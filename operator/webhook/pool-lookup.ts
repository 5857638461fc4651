/**
 * The facts the injector needs about a pod's pool: does it exist, and which Secrets do its providers reference.
 * The controller's informer answers first; a miss is confirmed with a GET, since a pool created a moment before
 * its workload may not have reached the informer yet (and a replica's informer may still be listing).
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { isRecord, recordsIn } from '../../core/json.ts';
import { isNotFound } from '../kube/api-error.ts';
import { PROVIDER_POOLS, type PoolObject } from '../kube/collections.ts';
import type { PoolFacts } from './webhook-routes.ts';

/**
 * Secret names from a pool's spec as stored, read leniently: the Secrets of a spec the reconciler refuses (for
 * another field) are mounted all the same, so fixing that field needs no pod restart.
 */
export function referencedSecrets(spec: unknown): string[] {
  const providers = isRecord(spec) ? recordsIn(spec.providers) : [];
  const names = providers.flatMap((p) => {
    const ref = isRecord(p.apiKey) && isRecord(p.apiKey.secretKeyRef) ? p.apiKey.secretKeyRef : undefined;
    return typeof ref?.name === 'string' && ref.name !== '' ? [ref.name] : [];
  });
  return [...new Set(names)];
}

export function poolLookup(
  config: KubeConfig,
  cached: (namespace: string, name: string) => PoolObject | undefined,
): (namespace: string, name: string) => Promise<PoolFacts | undefined> {
  const api = config.makeApiClient(CustomObjectsApi);
  return async (namespace, name) => {
    let pool: unknown = cached(namespace, name);
    if (pool === undefined) {
      try {
        pool = await api.getNamespacedCustomObject({ ...PROVIDER_POOLS, namespace, name });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
    return { secretNames: referencedSecrets(isRecord(pool) ? pool.spec : undefined) };
  };
}
