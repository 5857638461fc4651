/** The test server's admin credentials, read with @kubernetes/client-node's kubeconfig loader. */
import { KubeConfig } from '@kubernetes/client-node';
import { Agent } from 'undici';

export interface Credentials {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export async function readCredentials(path: string): Promise<Credentials> {
  const config = new KubeConfig();
  config.loadFromFile(path);
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  await config.applyToHTTPSOptions(tls);
  return { server: config.getCurrentCluster()?.server ?? '', ca: tls.ca, cert: tls.cert, key: tls.key };
}

/** An HTTP client that trusts the cluster's CA and presents the kubeconfig's client certificate. */
export function agentFor(credentials: Credentials): Agent {
  return new Agent({ connect: { ca: credentials.ca, cert: credentials.cert, key: credentials.key } });
}
