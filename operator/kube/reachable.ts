import { VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { describeKubeError } from './api-error.ts';

/**
 * Asks the API server for its version (any authenticated user may), so a wrong address, a closed port, bad
 * credentials or a failing exec plugin stop the start with one line naming the server, not a stack trace.
 */
export async function checkReachable(config: KubeConfig): Promise<string> {
  const server = config.getCurrentCluster()?.server ?? '(no server)';
  try {
    return (await config.makeApiClient(VersionApi).getCode()).gitVersion;
  } catch (err) {
    throw new Error(
      `cannot reach the Kubernetes API server ${server} (context "${config.getCurrentContext()}"): ${describeKubeError(err)}`,
    );
  }
}
