import { readFile } from 'node:fs/promises';
import { systemClock, type Clock } from '../../sidecar/core/clock.ts';

/**
 * A bearer token read from a file and re-read once it is older than `refreshMs`: projected service-account
 * tokens are rotated by the kubelet (client-go re-reads every minute too).
 */
export class FileToken {
  readonly #path: string;
  readonly #refreshMs: number;
  readonly #clock: Clock;
  #cached: { token: string; readAt: number } | undefined;

  constructor(path: string, options: { refreshMs?: number; clock?: Clock } = {}) {
    this.#path = path;
    this.#refreshMs = options.refreshMs ?? 60_000;
    this.#clock = options.clock ?? systemClock;
  }

  async token(): Promise<string> {
    const now = this.#clock.now();
    if (this.#cached && now - this.#cached.readAt < this.#refreshMs) return this.#cached.token;
    try {
      const token = (await readFile(this.#path, 'utf8')).trim();
      this.#cached = { token, readAt: now };
      return token;
    } catch (err) {
      // Keep serving the last token through a transient read failure (the file is swapped by symlink).
      if (this.#cached) return this.#cached.token;
      throw err;
    }
  }
}
