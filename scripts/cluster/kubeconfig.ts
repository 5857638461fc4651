/** Reads the current context of a kubeconfig with inline credentials (as switchboard-apiserver writes them). */
import { readFile } from 'node:fs/promises';
import { Agent } from 'undici';
import { parse } from 'yaml';
import { z } from 'zod';

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
      cluster: z.object({ server: z.string(), 'certificate-authority-data': z.string().optional() }),
    }),
  ),
  users: z.array(
    z.object({
      name: z.string(),
      user: z.object({
        'client-certificate-data': z.string().optional(),
        'client-key-data': z.string().optional(),
      }),
    }),
  ),
});

export interface Credentials {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export async function readCredentials(path: string): Promise<Credentials> {
  const config = kubeconfigSchema.parse(parse(await readFile(path, 'utf8')));
  const find = <T extends { name: string }>(list: T[], name: string, what: string): T => {
    const found = list.find((entry) => entry.name === name);
    if (!found) throw new Error(`${path}: no ${what} named "${name}"`);
    return found;
  };
  const context = find(config.contexts, config['current-context'], 'context').context;
  const cluster = find(config.clusters, context.cluster, 'cluster').cluster;
  const user = find(config.users, context.user, 'user').user;
  const decode = (data: string | undefined) =>
    data === undefined ? undefined : Buffer.from(data, 'base64').toString();
  return {
    server: cluster.server.replace(/\/$/, ''),
    ca: decode(cluster['certificate-authority-data']),
    cert: decode(user['client-certificate-data']),
    key: decode(user['client-key-data']),
  };
}

/** An HTTP client that trusts the cluster's CA and presents the kubeconfig's client certificate. */
export function agentFor(credentials: Credentials): Agent {
  return new Agent({ connect: { ca: credentials.ca, cert: credentials.cert, key: credentials.key } });
}
