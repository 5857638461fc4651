/**
 * A sidecar's pool from a ProviderPool file, reloaded when the file changes (or on `reload()`, e.g. SIGHUP).
 * A bad file at start is fatal (the error lists every problem); a bad edit later is refused and the running
 * configuration kept.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../core/log.ts';
import { parsePoolYaml } from '../config/load-pool.ts';
import { watchFile } from '../config/watch-file.ts';
import type { ApplyPool, PoolSource } from './pool-source.ts';

export interface FilePoolSourceOptions {
  readonly watch?: boolean;
  readonly logger: Logger;
  /** Counts reloads by result ("applied" or "rejected"). */
  readonly onReload?: (result: 'applied' | 'rejected') => void;
}

export class FilePoolSource implements PoolSource {
  readonly description: string;
  readonly file: string;
  readonly #options: FilePoolSourceOptions;
  #apply: ApplyPool | undefined;
  #hash = '';
  #stopWatching: () => void = () => {};

  constructor(file: string, options: FilePoolSourceOptions) {
    this.file = file;
    this.description = `file ${file}`;
    this.#options = options;
  }

  async start(apply: ApplyPool): Promise<void> {
    this.#apply = apply;
    await this.#load();
    if (this.#options.watch !== false) this.#stopWatching = watchFile(this.file, () => void this.reload());
  }

  problem(): string | undefined {
    return undefined;
  }

  /** Re-reads the file now; resolves to true when a new configuration was applied. */
  async reload(): Promise<boolean> {
    try {
      const applied = await this.#load();
      if (applied) {
        this.#options.onReload?.('applied');
        this.#options.logger.info('pool configuration reloaded', { file: this.file });
      }
      return applied;
    } catch (err) {
      this.#options.onReload?.('rejected');
      this.#options.logger.error('pool configuration rejected; keeping the previous one', {
        file: this.file,
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  }

  close(): Promise<void> {
    this.#stopWatching();
    return Promise.resolve();
  }

  async #load(): Promise<boolean> {
    const text = await readFile(this.file, 'utf8');
    const hash = createHash('sha256').update(text).digest('hex');
    if (hash === this.#hash) return false;
    this.#apply?.({ pool: parsePoolYaml(text, this.file), version: hash.slice(0, 16), fleet: undefined });
    this.#hash = hash;
    return true;
  }
}
