/**
 * The sidecar's last good snapshot on disk, so it serves after a restart while the operator is away (static
 * stability). Written atomically (a temporary file renamed over the old one): a crash mid-write leaves the
 * previous snapshot, never half of one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SnapshotSchema, type Snapshot } from '../../api/sync/sync-protocol.ts';

export class SnapshotStore {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async save(snapshot: Snapshot): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(temporary, this.path);
  }

  /** The saved snapshot; undefined when there is none or it cannot be read or validated. */
  async load(): Promise<Snapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = SnapshotSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
