/** The test server's admin credentials, read with the operator's own kubeconfig loader. */
import { Agent } from 'undici';
import { loadKubeconfig, type KubeConfig } from '../../operator/kube/config.ts';

export type Credentials = Pick<KubeConfig, 'server' | 'ca' | 'cert' | 'key'>;

export async function readCredentials(path: string): Promise<Credentials> {
  const { server, ca, cert, key } = await loadKubeconfig(path);
  return { server, ca, cert, key };
}

/** An HTTP client that trusts the cluster's CA and presents the kubeconfig's client certificate. */
export function agentFor(credentials: Credentials): Agent {
  return new Agent({ connect: { ca: credentials.ca, cert: credentials.cert, key: credentials.key } });
}
