/**
 * The dashboard against a cluster (read-only): each pool from the ProviderPool objects the API server holds,
 * their spec and the status the operator wrote. Lists are shared between viewers and made at most every
 * `minIntervalMs`, so many open pages do not multiply the load on the API server.
 */
import { ProviderPoolSpecSchema } from '../../api/v1alpha1/providerpool.ts';
import { ProviderPoolStatusSchema } from '../../api/v1alpha1/providerpool-status.ts';
import type { PoolObject } from '../kube/collections.ts';
import type { ListPage } from '../informer/informer.ts';
import { poolFromRecord, type DashboardPool } from './dashboard-state.ts';

const PAGE_SIZE = 250;

/** One pool as the dashboard shows it; a spec or status that does not parse shows as absent. */
export function poolFromObject(object: PoolObject): DashboardPool {
  const spec = ProviderPoolSpecSchema.safeParse(object.spec);
  const status = ProviderPoolStatusSchema.safeParse(object.status);
  return poolFromRecord({
    namespace: object.metadata?.namespace ?? 'default',
    name: object.metadata?.name ?? '?',
    spec: spec.success ? spec.data : undefined,
    status: status.success ? status.data : undefined,
  });
}

async function listAll(listPage: ListPage<PoolObject>): Promise<PoolObject[]> {
  const items: PoolObject[] = [];
  let next: string | undefined;
  do {
    const page = await listPage({ limit: PAGE_SIZE, ...(next === undefined ? {} : { continue: next }) });
    items.push(...page.items);
    next = page.continue || undefined;
  } while (next !== undefined);
  return items;
}

export function kubePools(
  listPage: ListPage<PoolObject>,
  minIntervalMs = 2_000,
  now: () => number = Date.now,
): () => Promise<readonly DashboardPool[]> {
  let last: { at: number; pools: Promise<readonly DashboardPool[]> } | undefined;
  return () => {
    if (last === undefined || now() - last.at >= minIntervalMs) {
      const pools = listAll(listPage).then((items) =>
        items
          .map(poolFromObject)
          .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
      );
      // A failed list is not cached: the next viewer's push tries again.
      pools.catch(() => (last = undefined));
      last = { at: now(), pools };
    }
    return last.pools;
  };
}
