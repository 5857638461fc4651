/**
 * Files mode (`--cert-dir DIR`, e.g. a cert-manager Certificate's Secret mounted there): ca.crt, tls.crt and
 * tls.key, read at start and re-read every few seconds. Polling, not fs.watch: a mounted Secret is updated by
 * swapping a symlink (`..data`), which file watches miss or report on the wrong name. The operator issues nothing
 * and patches no caBundle here (cert-manager's CA injector does).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/log.ts';
import type { Scheduler } from '../timing/scheduler.ts';
import { inspectCertificates } from './stored-certs.ts';
import {
  MaterialListeners,
  sameMaterial,
  type CertificateSource,
  type ServingMaterial,
} from './serving-material.ts';

export interface CertificateFilesOptions {
  readonly dir: string;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Default 5 s. */
  readonly pollMs?: number;
}

export class CertificateFiles implements CertificateSource {
  readonly #o: CertificateFilesOptions;
  readonly #listeners: MaterialListeners;
  #current: ServingMaterial | undefined;
  #cancel: (() => void) | undefined;
  #stopped = false;
  #lastProblem: string | undefined;

  constructor(options: CertificateFilesOptions) {
    this.#o = options;
    this.#listeners = new MaterialListeners((err) =>
      options.logger.error('a certificate listener failed', { error: String(err) }),
    );
  }

  current(): ServingMaterial | undefined {
    return this.#current;
  }

  onChange(listener: (material: ServingMaterial) => void): void {
    this.#listeners.add(listener);
  }

  async start(): Promise<void> {
    await this.#poll();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    return Promise.resolve();
  }

  async #poll(): Promise<void> {
    try {
      const read = (name: string) => readFile(join(this.#o.dir, name), 'utf8');
      const [caPem, certPem, keyPem] = await Promise.all([read('ca.crt'), read('tls.crt'), read('tls.key')]);
      const facts = inspectCertificates({ caCrt: caPem, tlsCrt: certPem, tlsKey: keyPem });
      // A half-written rotation (key of the new pair, certificate of the old) is skipped until it is whole.
      if (facts.serving === undefined || !facts.serving.keyMatches)
        throw new Error(`${this.#o.dir}: tls.crt and tls.key do not form a pair`);
      const material = { caPem, certPem, keyPem };
      this.#lastProblem = undefined;
      if (!sameMaterial(material, this.#current)) {
        const first = this.#current === undefined;
        this.#current = material;
        this.#o.logger.info(first ? 'serving certificate loaded' : 'serving certificate rotated', {
          dir: this.#o.dir,
        });
        this.#listeners.notify(material);
      }
    } catch (err) {
      const problem = err instanceof Error ? err.message : String(err);
      if (problem !== this.#lastProblem)
        this.#o.logger.warn('cannot load the serving certificate', { problem });
      this.#lastProblem = problem;
    }
    if (!this.#stopped)
      this.#cancel = this.#o.scheduler.setTimer(this.#o.pollMs ?? 5_000, () => void this.#poll());
  }
}
