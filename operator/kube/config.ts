/**
 * Where the API server is and how to authenticate: from a kubeconfig file (its current context) or from the
 * pod's service account (in-cluster). Only what our kubeconfigs and pods use: client certificates, a CA, and
 * bearer tokens (inline or from a file that is re-read as it rotates).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Clock } from '../../sidecar/core/clock.ts';
import { FileToken } from './file-token.ts';
import { formatIssues } from '../../api/v1alpha1/validation-errors.ts';

export interface KubeConfig {
  /** https://host:port, without a trailing slash. */
  readonly server: string;
  /** PEM. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** A bearer token, asked for before every request (so rotated tokens are picked up). */
  readonly token?: () => Promise<string>;
  /** The context's (or the pod's) namespace, when known. */
  readonly namespace?: string;
}

const kubeconfigSchema = z.object({
  'current-context': z.string(),
  contexts: z.array(
    z.object({
      name: z.string(),
      context: z.object({ cluster: z.string(), user: z.string(), namespace: z.string().optional() }),
    }),
  ),
  clusters: z.array(
    z.object({
      name: z.string(),
      cluster: z.object({
        server: z.string(),
        'certificate-authority-data': z.string().optional(),
        'certificate-authority': z.string().optional(),
      }),
    }),
  ),
  users: z.array(
    z.object({
      name: z.string(),
      user: z.object({
        'client-certificate-data': z.string().optional(),
        'client-certificate': z.string().optional(),
        'client-key-data': z.string().optional(),
        'client-key': z.string().optional(),
        token: z.string().optional(),
        tokenFile: z.string().optional(),
      }),
    }),
  ),
});

/** Reads the current context of a kubeconfig; relative file references are relative to the kubeconfig. */
export async function loadKubeconfig(path: string, options: { clock?: Clock } = {}): Promise<KubeConfig> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read kubeconfig ${path} (${err.code ?? err.message})`);
  });
  const parsed = kubeconfigSchema.safeParse(parse(text));
  if (!parsed.success) {
    throw new Error(`${path} is not a kubeconfig: ${formatIssues(parsed.error).join('; ')}`);
  }
  const config = parsed.data;
  const find = <T extends { name: string }>(list: T[], name: string, what: string): T => {
    const found = list.find((entry) => entry.name === name);
    if (!found) throw new Error(`${path}: no ${what} named "${name}"`);
    return found;
  };
  const context = find(config.contexts, config['current-context'], 'context').context;
  const cluster = find(config.clusters, context.cluster, 'cluster').cluster;
  const user = find(config.users, context.user, 'user').user;
  const base = dirname(path);
  const pem = async (data: string | undefined, file: string | undefined): Promise<string | undefined> => {
    if (data !== undefined) return Buffer.from(data, 'base64').toString();
    if (file !== undefined) return readFile(resolve(base, file), 'utf8');
    return undefined;
  };
  const inline = user.token;
  const tokenFile =
    user.tokenFile === undefined ? undefined : new FileToken(resolve(base, user.tokenFile), options);
  return {
    server: cluster.server.replace(/\/$/, ''),
    ca: await pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: await pem(user['client-certificate-data'], user['client-certificate']),
    key: await pem(user['client-key-data'], user['client-key']),
    token: inline !== undefined ? async () => inline : tokenFile && (() => tokenFile.token()),
    namespace: context.namespace,
  };
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The pod's own identity: KUBERNETES_SERVICE_HOST/PORT, the service account's CA and namespace, and its token
 * file, re-read every minute since projected tokens rotate.
 */
export async function loadInCluster(
  options: { env?: NodeJS.ProcessEnv; dir?: string; clock?: Clock; tokenRefreshMs?: number } = {},
): Promise<KubeConfig> {
  const env = options.env ?? process.env;
  const dir = options.dir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new Error(
      'not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set',
    );
  const token = new FileToken(`${dir}/token`, { clock: options.clock, refreshMs: options.tokenRefreshMs });
  await token.token(); // fail now, not on the first request, when the token is missing
  const namespace = await readFile(`${dir}/namespace`, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: await readFile(`${dir}/ca.crt`, 'utf8'),
    token: () => token.token(),
    namespace,
  };
}
