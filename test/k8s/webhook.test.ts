import { describe, expect, test } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { paths } from '../../scripts/cluster/paths.ts';
import { waitFor } from '../support/wait.ts';
import { AdmissionregistrationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { useNamespace } from './support/namespace.ts';

interface AdmissionReview {
  request: { uid: string; operation: string; object: KubernetesObject; userInfo: { username: string } };
}

const LABEL = 'switchboard.dev/mutated';

/** A mutating admission webhook on 127.0.0.1 that labels what it admits, with the cluster-issued serving cert. */
async function startWebhook(seen: AdmissionReview['request'][]): Promise<{ server: Server; url: string }> {
  const server = createServer(
    {
      cert: await readFile(join(paths.pkiDir, 'webhook.crt')),
      key: await readFile(join(paths.pkiDir, 'webhook.key')),
    },
    (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const { request } = JSON.parse(body) as AdmissionReview;
        seen.push(request);
        const labels = {
          ...(request.object.metadata?.labels as Record<string, string> | undefined),
          [LABEL]: 'true',
        };
        const patch = [{ op: 'add', path: '/metadata/labels', value: labels }];
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: {
              uid: request.uid,
              allowed: true,
              patchType: 'JSONPatch',
              patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
            },
          }),
        );
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/mutate` };
}

describe('admission webhooks', () => {
  const ns = useNamespace('webhook');
  const cleanups = useCleanups();

  test('a mutating webhook served on 127.0.0.1 changes the objects it admits', async () => {
    const { core, name } = ns;
    const admission = ns.config.makeApiClient(AdmissionregistrationV1Api);
    const seen: AdmissionReview['request'][] = [];
    const { server, url } = await startWebhook(seen);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));

    await admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name },
        webhooks: [
          {
            name: 'label.fixtures.switchboard.dev',
            clientConfig: {
              url,
              caBundle: (await readFile(join(paths.pkiDir, 'ca.crt'))).toString('base64'),
            },
            rules: [
              { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] },
            ],
            // Only this test's namespace (the server labels every namespace with its name).
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            failurePolicy: 'Fail',
            timeoutSeconds: 5,
          },
        ],
      },
    });
    cleanups.push(() => admission.deleteMutatingWebhookConfiguration({ name }));

    // The server picks up a new configuration from its informer within a moment: probe until it applies.
    let probes = 0;
    let labels: Record<string, unknown> | undefined;
    await waitFor(
      'the webhook to be called',
      async () => {
        const created = await core.createNamespacedConfigMap({
          namespace: name,
          body: { metadata: { name: `probe-${probes++}`, labels: { app: 'probe' } } },
        });
        labels = created.metadata?.labels;
        return labels?.[LABEL] === 'true';
      },
      10_000,
    );

    expect(labels).toEqual({ app: 'probe', [LABEL]: 'true' });
    expect(seen.at(-1)).toMatchObject({ operation: 'CREATE', userInfo: { username: 'switchboard-admin' } });
  });
});
