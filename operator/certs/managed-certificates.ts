/**
 * Managed mode (`--cert-secret NAME`): the operator's own CA and serving certificate, kept in one Secret of its
 * namespace (keys ca.crt, ca.key, tls.crt, tls.key).
 *
 * - Every replica watches the Secret (a list/watch restricted to its name) and serves what it holds; a rotation
 *   reaches each replica's TLS servers through `onChange` (they swap their secure context, no restart).
 * - The leader decides (cert-policy.ts) whether to issue, writes the Secret with its resourceVersion (a conflict
 *   means another writer won: the leader reads again and decides again), looks again at the next renewal point,
 *   and keeps the MutatingWebhookConfiguration's caBundle equal to the CA (a `helm upgrade` may reset it).
 * - The Secret is expected to exist (the chart creates it empty, so RBAC can name it); if it does not, the
 *   leader creates it.
 */
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from '../../core/log.ts';
import { describeKubeError, isConflict, isNotFound } from '../kube/api-error.ts';
import { namedSecretCollection } from '../kube/collections.ts';
import { Informer } from '../informer/informer.ts';
import type { Scheduler } from '../timing/scheduler.ts';
import {
  DEFAULT_CA_VALIDITY_MS,
  DEFAULT_SERVING_VALIDITY_MS,
  decideCertificates,
  type CertSettings,
} from './cert-policy.ts';
import { inspectCertificates, type CertMaterial } from './stored-certs.ts';
import {
  MaterialListeners,
  sameMaterial,
  type CertificateSource,
  type ServingMaterial,
} from './serving-material.ts';
import { issueCa, issueServing } from './x509-issuer.ts';
import type { WebhookCaBundle } from './webhook-ca-bundle.ts';

export const SECRET_KEYS = {
  caCrt: 'ca.crt',
  caKey: 'ca.key',
  tlsCrt: 'tls.crt',
  tlsKey: 'tls.key',
} as const;

export interface ManagedCertificatesOptions {
  readonly config: KubeConfig;
  readonly namespace: string;
  readonly secretName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly caValidityMs?: number;
  readonly servingValidityMs?: number;
  /** Keeps the webhook configuration's caBundle equal to the CA (leader only); none: not patched. */
  readonly caBundle?: WebhookCaBundle;
  /** How often the leader re-checks the caBundle (default 30 s). */
  readonly caBundleCheckMs?: number;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
}

/** A timer longer than this overflows setTimeout (about 24.8 days): longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_MS = 5_000;

const decode = (data: Record<string, string> | undefined, key: string): string | undefined => {
  const value = data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

export function materialOfSecret(secret: V1Secret | undefined): CertMaterial {
  const data = secret?.data;
  return {
    caCrt: decode(data, SECRET_KEYS.caCrt),
    caKey: decode(data, SECRET_KEYS.caKey),
    tlsCrt: decode(data, SECRET_KEYS.tlsCrt),
    tlsKey: decode(data, SECRET_KEYS.tlsKey),
  };
}

/** What may be served from stored material: a serving certificate that matches its key and the CA. */
function servable(material: CertMaterial): ServingMaterial | undefined {
  const facts = inspectCertificates(material);
  if (facts.serving === undefined || !facts.serving.keyMatches || !facts.serving.issuedByCa) return undefined;
  if (material.tlsCrt === undefined || material.tlsKey === undefined || material.caCrt === undefined)
    return undefined;
  return { certPem: material.tlsCrt, keyPem: material.tlsKey, caPem: material.caCrt };
}

export class ManagedCertificates implements CertificateSource {
  readonly #o: ManagedCertificatesOptions;
  readonly #core: CoreV1Api;
  readonly #informer: Informer<V1Secret>;
  readonly #listeners: MaterialListeners;
  readonly #settings: CertSettings;
  #current: ServingMaterial | undefined;
  #leading = false;
  #cancelCheck: (() => void) | undefined;
  #cancelBundle: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(options: ManagedCertificatesOptions) {
    this.#o = options;
    this.#core = options.config.makeApiClient(CoreV1Api);
    this.#listeners = new MaterialListeners((err) =>
      options.logger.error('a certificate listener failed', { error: String(err) }),
    );
    this.#settings = {
      caValidityMs: options.caValidityMs ?? DEFAULT_CA_VALIDITY_MS,
      servingValidityMs: options.servingValidityMs ?? DEFAULT_SERVING_VALIDITY_MS,
      dnsNames: options.dnsNames,
      ipAddresses: options.ipAddresses ?? [],
    };
    this.#informer = new Informer<V1Secret>({
      config: options.config,
      ...namedSecretCollection(options.config, options.namespace, options.secretName),
      scheduler: options.scheduler,
      logger: options.logger,
    });
    const seen = (secret: V1Secret) => this.#observe(secret);
    this.#informer.addHandlers({ onAdd: seen, onUpdate: seen });
  }

  current(): ServingMaterial | undefined {
    return this.#current;
  }

  onChange(listener: (material: ServingMaterial) => void): void {
    this.#listeners.add(listener);
  }

  async start(): Promise<void> {
    this.#informer.start();
    // Serve at once what is stored (the informer's first list may take a moment); a missing Secret is fine here.
    try {
      this.#observe(await this.#read());
    } catch (err) {
      this.#o.logger.warn('could not read the certificate Secret yet', { error: describeKubeError(err) });
    }
  }

  async stop(): Promise<void> {
    this.stopLeading();
    await this.#informer.stop();
    await this.#running;
  }

  /** This replica became the leader: decide now, then at each renewal point. */
  startLeading(): void {
    this.#leading = true;
    this.#evaluateSoon(0);
    this.#checkBundleEvery();
  }

  stopLeading(): void {
    this.#leading = false;
    this.#cancelCheck?.();
    this.#cancelCheck = undefined;
    this.#cancelBundle?.();
    this.#cancelBundle = undefined;
  }

  #observe(secret: V1Secret | undefined): void {
    const material = servable(materialOfSecret(secret));
    if (material !== undefined && !sameMaterial(material, this.#current)) {
      const first = this.#current === undefined;
      this.#current = material;
      this.#o.logger.info(first ? 'serving certificate loaded' : 'serving certificate rotated', {
        secret: `${this.#o.namespace}/${this.#o.secretName}`,
      });
      this.#listeners.notify(material);
    }
    // Another writer (or a user) changed the Secret: the leader looks again.
    if (this.#leading) this.#evaluateSoon(0);
  }

  #evaluateSoon(delayMs: number): void {
    this.#cancelCheck?.();
    this.#cancelCheck = this.#o.scheduler.setTimer(Math.min(delayMs, MAX_TIMER_MS), () => {
      this.#cancelCheck = undefined;
      // One evaluation at a time: a Secret event during a write waits for it.
      this.#running = this.#running.then(() => this.#evaluate());
    });
  }

  async #read(): Promise<V1Secret | undefined> {
    try {
      return await this.#core.readNamespacedSecret({
        name: this.#o.secretName,
        namespace: this.#o.namespace,
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #evaluate(): Promise<void> {
    if (!this.#leading) return;
    const now = this.#o.scheduler.clock.now();
    try {
      const secret = await this.#read();
      const stored = materialOfSecret(secret);
      const decision = decideCertificates(inspectCertificates(stored), this.#settings, now);
      if (decision.action === 'keep') {
        await this.#o.caBundle?.ensure(stored.caCrt ?? '');
        if (this.#leading) this.#evaluateSoon(decision.nextCheckAt - now);
        return;
      }
      const ca =
        decision.action === 'issue-ca' || stored.caCrt === undefined || stored.caKey === undefined
          ? await issueCa(
              now,
              this.#settings.caValidityMs,
              `switchboard-operator-ca@${Math.floor(now / 1000)}`,
            )
          : { certPem: stored.caCrt, keyPem: stored.caKey };
      const serving = await issueServing(ca, this.#settings, now, this.#settings.servingValidityMs);
      const data = {
        [SECRET_KEYS.caCrt]: ca.certPem,
        [SECRET_KEYS.caKey]: ca.keyPem,
        [SECRET_KEYS.tlsCrt]: serving.certPem,
        [SECRET_KEYS.tlsKey]: serving.keyPem,
      };
      const encoded = Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      if (secret === undefined) {
        await this.#core.createNamespacedSecret({
          namespace: this.#o.namespace,
          body: { metadata: { name: this.#o.secretName }, type: 'Opaque', data: encoded },
        });
      } else {
        // Replace with the resourceVersion read: a concurrent writer makes this a 409, and we decide again.
        await this.#core.replaceNamespacedSecret({
          name: this.#o.secretName,
          namespace: this.#o.namespace,
          body: { ...secret, data: { ...secret.data, ...encoded } },
        });
      }
      this.#o.logger.info(
        decision.action === 'issue-ca'
          ? 'issued a new CA and serving certificate'
          : 'issued a serving certificate',
        { reason: decision.reason, secret: `${this.#o.namespace}/${this.#o.secretName}` },
      );
      if (decision.action === 'issue-ca' && stored.caCrt !== undefined)
        this.#o.logger.warn(
          'the CA changed: pods injected before carry the old CA and must be restarted to reach the sync channel',
        );
      await this.#o.caBundle?.ensure(ca.certPem);
      // The watch brings the new Secret (and swaps the TLS context); decide again from it.
      this.#observe({ ...secret, data: { ...secret?.data, ...encoded } });
    } catch (err) {
      if (isConflict(err)) {
        this.#evaluateSoon(0);
        return;
      }
      this.#o.logger.error('could not manage the operator certificates; retrying', {
        error: describeKubeError(err),
        secret: `${this.#o.namespace}/${this.#o.secretName}`,
      });
      if (this.#leading) this.#evaluateSoon(RETRY_MS);
    }
  }

  #checkBundleEvery(): void {
    const every = this.#o.caBundleCheckMs ?? 30_000;
    if (this.#o.caBundle === undefined) return;
    this.#cancelBundle = this.#o.scheduler.setTimer(every, () => {
      const ca = this.#current?.caPem;
      const done = ca === undefined ? Promise.resolve() : (this.#o.caBundle?.ensure(ca) ?? Promise.resolve());
      void done.finally(() => {
        if (this.#leading) this.#checkBundleEvery();
      });
    });
  }
}
