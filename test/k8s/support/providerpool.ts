/** A ProviderPool and its Secret as the operator tests apply them, and polling of the status it writes. */
import { fileURLToPath } from 'node:url';
import { kubectl, ok } from './kube.ts';

const crdDir = fileURLToPath(new URL('../../../crds/', import.meta.url));

/** Applies the ProviderPool CRD (idempotent) and waits until the server serves it. */
export async function installCrds(): Promise<void> {
  await ok(kubectl(['apply', '--server-side', '-f', crdDir]));
  await ok(
    kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/providerpools.switchboard.dev']),
  );
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}
export interface PoolStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  configVersion?: string;
  providerCount?: number;
}

/** The pool "chat": one OpenAI provider keyed by the Secret below, at `baseURL` (with `weight` when given). */
export const poolAt = (baseURL: string, weight?: number) => ({
  apiVersion: 'switchboard.dev/v1alpha1',
  kind: 'ProviderPool',
  metadata: { name: 'chat' },
  spec: {
    providers: [
      {
        name: 'primary',
        type: 'openai',
        baseURL,
        apiKey: { secretKeyRef: { name: 'openai', key: 'api-key' } },
        ...(weight === undefined ? {} : { weight }),
        models: [{ name: 'chat', model: 'gpt-4o-mini' }],
      },
    ],
  },
});

/** The same pool at OpenAI's address (never called: the tests only read what the operator makes of it). */
export const pool = (weight: number) => poolAt('https://api.openai.com/v1', weight);

export const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'openai' },
  stringData: { 'api-key': 'sk-test-not-a-real-key' },
};

export async function statusOf(namespace: string): Promise<PoolStatus> {
  const out = await ok(kubectl(['get', 'providerpool', 'chat', '-n', namespace, '-o', 'json']));
  return ((JSON.parse(out) as { status?: PoolStatus }).status ?? {}) as PoolStatus;
}

/** Polls the stored status until `check` holds (the operator works asynchronously); returns it. */
export async function eventually(
  namespace: string,
  what: string,
  check: (s: PoolStatus) => boolean,
): Promise<PoolStatus> {
  const deadline = Date.now() + 20_000;
  let last: PoolStatus = {};
  while (Date.now() < deadline) {
    last = await statusOf(namespace);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last)}`);
}

export const ready = (s: PoolStatus) => s.conditions?.find((c) => c.type === 'Ready');
