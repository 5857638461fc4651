/**
 * Local mode's PoolControls: a change rewrites the pool's manifest in the pool directory (comments and layout
 * kept, by yaml's Document API), atomically; the operator's watcher picks it up like any edit, so the file stays
 * the source of truth and the change goes through the same reconcile and validation.
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMap, isSeq, parseAllDocuments, type Document } from 'yaml';
import { KIND, type StrategyName } from '../../api/v1alpha1/providerpool.ts';
import { DEFAULT_NAMESPACE, isManifest } from '../local/pool-directory.ts';
import { ControlError, type PoolControls, type PoolKeyRef } from './controls.ts';

interface Found {
  readonly file: string;
  readonly documents: Document[];
  readonly document: Document;
}

async function findPool(dir: string, key: PoolKeyRef): Promise<Found> {
  for (const file of (await readdir(dir)).filter(isManifest).sort()) {
    const documents = parseAllDocuments(await readFile(join(dir, file), 'utf8'));
    if (!Array.isArray(documents)) continue;
    const document = documents.find((d) => {
      if (d.errors.length > 0 || d.get('kind') !== KIND) return false;
      const namespace = d.getIn(['metadata', 'namespace']) ?? DEFAULT_NAMESPACE;
      return d.getIn(['metadata', 'name']) === key.name && namespace === key.namespace;
    });
    if (document !== undefined) return { file: join(dir, file), documents, document };
  }
  throw new ControlError(404, `no ProviderPool ${key.namespace}/${key.name} in ${dir}`);
}

async function save(found: Found): Promise<void> {
  const text = found.documents.map((d) => d.toString().replace(/^---\n/, '')).join('---\n');
  const temporary = join(dirname(found.file), `.${process.pid}.dashboard.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, found.file);
}

export class PoolFileControls implements PoolControls {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async setStrategy(pool: PoolKeyRef, strategy: StrategyName): Promise<void> {
    const found = await findPool(this.#dir, pool);
    found.document.setIn(['spec', 'strategy', 'type'], strategy);
    await save(found);
  }

  async setWeights(pool: PoolKeyRef, weights: Readonly<Record<string, number>>): Promise<void> {
    const found = await findPool(this.#dir, pool);
    const providers = found.document.getIn(['spec', 'providers']);
    if (!isSeq(providers)) throw new ControlError(409, `${pool.namespace}/${pool.name} has no provider list`);
    const index = new Map<string, number>();
    providers.items.forEach((item, i) => {
      const name = isMap(item) ? item.get('name') : undefined;
      if (typeof name === 'string') index.set(name, i);
    });
    const unknown = Object.keys(weights).filter((name) => !index.has(name));
    if (unknown.length > 0)
      throw new ControlError(400, `${pool.namespace}/${pool.name} has no provider ${unknown.join(', ')}`);
    const next = new Map([...index.keys()].map((name) => [name, weights[name]]));
    for (const [name, i] of index) {
      const weight = weights[name];
      if (weight !== undefined) found.document.setIn(['spec', 'providers', i, 'weight'], weight);
      else next.set(name, Number(found.document.getIn(['spec', 'providers', i, 'weight']) ?? 1));
    }
    if (![...next.values()].some((w) => w !== undefined && w > 0))
      throw new ControlError(400, 'at least one provider needs a weight above 0');
    await save(found);
  }
}
