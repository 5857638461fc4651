/**
 * Local mode's status store: each pool's status as `DIR/status/<namespace>.<name>.json`, written atomically
 * (a temporary file renamed over the old one), so a reader never sees half a status.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderPoolStatus } from '../../api/v1alpha1/providerpool-status.ts';
import type { PoolKey } from '../sync/sync-hub.ts';

export class StatusDirectory {
  readonly dir: string;

  constructor(poolDir: string) {
    this.dir = join(poolDir, 'status');
  }

  fileOf(key: PoolKey): string {
    return join(this.dir, `${key.namespace}.${key.name}.json`);
  }

  async write(key: PoolKey, status: ProviderPoolStatus): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileOf(key);
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(status, null, 2)}\n`);
    await rename(temporary, file);
  }

  async remove(key: PoolKey): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }
}
