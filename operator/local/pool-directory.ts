/**
 * Local mode's pool source: ProviderPool manifests in `DIR/*.yaml` (several documents per file allowed), watched
 * for changes. Each load gives the full set; a file that cannot be parsed keeps the pools it had before, so a
 * half-saved edit does not take a pool away from running sidecars. Validation of the spec is the reconcile's
 * job, which reports problems by field in the pool's status, as in a cluster.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KIND } from '../../api/v1alpha1/providerpool.ts';
import type { Logger } from '../../core/log.ts';
import type { PoolObject } from '../reconcile/reconcile-pool.ts';

export const DEFAULT_NAMESPACE = 'default';

/** Whether a file in the pool directory is read as ProviderPool manifests. */
export const isManifest = (file: string): boolean => /\.ya?ml$/.test(file);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class PoolDirectory {
  readonly dir: string;
  readonly #logger: Logger;
  /** The last good pools of each file. */
  readonly #byFile = new Map<string, PoolObject[]>();
  /** Per pool: the content hash of its spec and its generation, which grows with every change. */
  readonly #generations = new Map<string, { hash: string; generation: number }>();

  constructor(dir: string, logger: Logger) {
    this.dir = dir;
    this.#logger = logger;
  }

  /** Reads every manifest; returns all pools by "namespace/name". */
  async load(): Promise<Map<string, PoolObject>> {
    const files = (await readdir(this.dir)).filter(isManifest).sort();
    for (const gone of [...this.#byFile.keys()].filter((f) => !files.includes(f))) this.#byFile.delete(gone);
    for (const file of files) {
      try {
        this.#byFile.set(file, this.#parse(file, await readFile(join(this.dir, file), 'utf8')));
      } catch (err) {
        this.#logger.error('pool file not loaded; keeping what it had before', {
          file,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    const pools = new Map<string, PoolObject>();
    for (const [file, list] of this.#byFile) {
      for (const pool of list) {
        const key = `${pool.metadata.namespace}/${pool.metadata.name}`;
        if (pools.has(key)) {
          this.#logger.error('pool defined twice; the first file wins', { pool: key, file });
          continue;
        }
        pools.set(key, pool);
      }
    }
    return pools;
  }

  /** Calls `onChange` (debounced) when a file in the directory may have changed. */
  watch(onChange: () => void, debounceMs = 100): () => void {
    let timer: NodeJS.Timeout | undefined;
    const watcher: FSWatcher = watch(this.dir, (_event, file) => {
      if (file !== null && !isManifest(file)) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }

  #parse(file: string, text: string): PoolObject[] {
    const pools: PoolObject[] = [];
    for (const [i, doc] of parseAllDocuments(text).entries()) {
      if (doc.errors.length > 0)
        throw new Error(`document ${i + 1}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
      const value: unknown = doc.toJS();
      if (!isRecord(value) || value.kind !== KIND) continue;
      const metadata = isRecord(value.metadata) ? value.metadata : {};
      if (typeof metadata.name !== 'string' || metadata.name === '')
        throw new Error(`document ${i + 1}: a ProviderPool needs metadata.name`);
      const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : DEFAULT_NAMESPACE;
      pools.push({
        metadata: {
          name: metadata.name,
          namespace,
          generation: this.#generation(`${namespace}/${metadata.name}`, value.spec),
        },
        spec: value.spec,
      });
    }
    return pools;
  }

  #generation(key: string, spec: unknown): number {
    const hash = createHash('sha256')
      .update(JSON.stringify(spec ?? null))
      .digest('hex');
    const known = this.#generations.get(key);
    if (known?.hash === hash) return known.generation;
    const generation = (known?.generation ?? 0) + 1;
    this.#generations.set(key, { hash, generation });
    return generation;
  }
}
