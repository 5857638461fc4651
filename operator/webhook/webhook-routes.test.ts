/** The webhook's HTTP shell on a real socket: AdmissionReview in, AdmissionReview with a base64 JSONPatch out. */
import { afterEach, describe, expect, test } from '@jest/globals';
import express from 'express';
import type { V1ObjectReference } from '@kubernetes/client-node';
import { listenApp, type ListeningApp } from '../../core/express-app.ts';
import { silentLogger } from '../../core/log.ts';
import { parseInjectionConfig } from './injection-config.ts';
import { eventSubject, webhookRoutes, type PoolFacts } from './webhook-routes.ts';

const config = parseInjectionConfig({
  image: 'switchboard:1',
  operatorUrl: 'https://op.switchboard.svc:7070',
});
let server: ListeningApp | undefined;
afterEach(() => server?.close());

interface Recorded {
  readonly namespace: string;
  readonly about: V1ObjectReference;
  readonly message: string;
}

async function start(lookupPool: (ns: string, name: string) => Promise<PoolFacts | undefined>) {
  const events: Recorded[] = [];
  const app = express();
  app.use(
    webhookRoutes({
      config,
      lookupPool,
      serverVersion: { major: 1, minor: 36 },
      operatorCaPem: () => 'CA',
      recordWarning: (namespace, about, message) => {
        events.push({ namespace, about, message });
        return Promise.resolve();
      },
      logger: silentLogger,
    }),
  );
  server = await listenApp(app, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${server.port}/inject`;
  return { url, events };
}

const review = (object: Record<string, unknown>, kind = 'Pod') => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind },
    namespace: 'team',
    operation: 'CREATE',
    object,
  },
});

const labelled = {
  metadata: {
    generateName: 'web-abc-',
    labels: { 'switchboard.dev/pool': 'chat' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1', controller: true },
    ],
  },
  spec: { containers: [{ name: 'app', image: 'app' }] },
};

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { response?: Record<string, unknown>; error?: string },
  };
}

const decodedPatch = (response: Record<string, unknown> | undefined): unknown =>
  JSON.parse(Buffer.from(String(response?.patch), 'base64').toString('utf8'));

describe('POST /inject', () => {
  test('answers a labelled pod with a base64 JSONPatch that adds the sidecar', async () => {
    const { url } = await start(() => Promise.resolve({ secretNames: ['openai'] }));
    const { status, body } = await post(url, review(labelled));
    expect(status).toBe(200);
    expect(body.response).toMatchObject({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
    expect(decodedPatch(body.response)).toContainEqual({
      op: 'add',
      path: '/spec/initContainers',
      value: [expect.objectContaining({ name: 'switchboard-sidecar' })],
    });
    expect(body.response?.warnings).toBeUndefined();
  });

  test('admits an unlabelled pod, a non-pod and a pod update without a patch, never asking for a pool', async () => {
    const asked: string[] = [];
    const { url } = await start((ns, name) => {
      asked.push(`${ns}/${name}`);
      return Promise.resolve(undefined);
    });
    const update = { ...review(labelled), request: { ...review(labelled).request, operation: 'UPDATE' } };
    for (const body of [
      review({ metadata: {}, spec: { containers: [] } }),
      review(labelled, 'ConfigMap'),
      update,
    ]) {
      const answer = await post(url, body);
      expect(answer.body.response).toEqual({ uid: 'u-1', allowed: true });
    }
    expect(asked).toEqual([]);
  });

  test('admits a pod whose pool is missing, with a warning and an Event on its ReplicaSet', async () => {
    const { url, events } = await start(() => Promise.resolve(undefined));
    const { body } = await post(url, review(labelled));
    expect(body.response).toMatchObject({
      allowed: true,
      warnings: [expect.stringContaining('team/chat does not exist')],
    });
    expect(events).toEqual([
      {
        namespace: 'team',
        about: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1', namespace: 'team' },
        message: expect.stringContaining('does not exist'),
      },
    ]);
  });

  test('answers 500 when the pool cannot be looked up, so the failurePolicy decides', async () => {
    const { url } = await start(() => Promise.reject(new Error('connection refused')));
    expect((await post(url, review(labelled))).status).toBe(500);
  });

  test('refuses what is not an AdmissionReview with 400', async () => {
    const { url } = await start(() => Promise.resolve(undefined));
    const { status, body } = await post(url, { kind: 'Pod' });
    expect(status).toBe(400);
    expect(body.error).toMatch(/not an AdmissionReview v1/);
  });
});

describe('eventSubject', () => {
  test('is the pod by name when it has no owner, and nothing for a pod with only a generateName', () => {
    expect(eventSubject({ metadata: { name: 'solo' } }, 'team')).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'solo',
      namespace: 'team',
    });
    expect(eventSubject({ metadata: { generateName: 'x-' } }, 'team')).toBeUndefined();
  });
});
