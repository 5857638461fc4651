/**
 * Keeps every webhook's `clientConfig.caBundle` of one MutatingWebhookConfiguration equal to the operator's CA
 * (managed mode, leader only; RBAC: get and patch on that resourceName). A JSON patch with a `test` of each
 * webhook's name, so a configuration reordered meanwhile fails the patch instead of getting the wrong field.
 */
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../core/log.ts';
import { describeKubeError, isNotFound } from '../kube/api-error.ts';

export class WebhookCaBundle {
  readonly #api: AdmissionregistrationV1Api;
  readonly #name: string;
  readonly #logger: Logger;

  constructor(config: KubeConfig, name: string, logger: Logger) {
    this.#api = config.makeApiClient(AdmissionregistrationV1Api);
    this.#name = name;
    this.#logger = logger;
  }

  /** Patches the caBundle where it differs from `caPem`; best effort (logged), retried on the next call. */
  async ensure(caPem: string): Promise<void> {
    if (caPem.trim() === '') return;
    const bundle = Buffer.from(caPem).toString('base64');
    try {
      const current = await this.#api.readMutatingWebhookConfiguration({ name: this.#name });
      const patch = (current.webhooks ?? []).flatMap((webhook, i) =>
        webhook.clientConfig.caBundle === bundle
          ? []
          : [
              { op: 'test', path: `/webhooks/${i}/name`, value: webhook.name },
              { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: bundle },
            ],
      );
      if (patch.length === 0) return;
      await this.#api.patchMutatingWebhookConfiguration({ name: this.#name, body: patch });
      this.#logger.info('patched the webhook caBundle', {
        webhookConfiguration: this.#name,
        webhooks: patch.length / 2,
      });
    } catch (err) {
      this.#logger[isNotFound(err) ? 'warn' : 'error']('could not patch the webhook caBundle', {
        webhookConfiguration: this.#name,
        error: describeKubeError(err),
      });
    }
  }
}
