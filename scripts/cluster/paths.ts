/** Where the local test cluster keeps its binaries and state. Everything lives under `.switchboard/` (git-ignored). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const state = join(root, '.switchboard');
const cluster = join(state, 'cluster');

export const paths = {
  root,
  /** The Go module of the API server program (go.mod, go.sum, *.go). */
  goModule: join(root, 'test', 'kube-apiserver'),
  /** Pinned binaries: switchboard-apiserver, kubectl, helm; versions.json records what they were built from. */
  binDir: join(state, 'bin'),
  /** Server state: pid, log, certificates, etcd data, the server's own kubeconfig. Removed by cluster:down. */
  clusterDir: cluster,
  pidFile: join(cluster, 'pid'),
  /** The build key of the binary the server runs, to restart a server left over from an older build. */
  buildFile: join(cluster, 'build'),
  logFile: join(cluster, 'apiserver.log'),
  /**
   * Certificates the server generated: ca.crt (what clients trust; a webhook configuration's caBundle) and
   * webhook.crt/webhook.key (a serving certificate for 127.0.0.1 and localhost, for test webhook servers).
   */
  pkiDir: join(cluster, 'pki'),
  /** Written by the server as soon as it has a port; copied to `kubeconfig` once /readyz is ok. */
  serverKubeconfig: join(cluster, 'kubeconfig'),
  /** The admin kubeconfig for users and tests; present only while a server has been seen ready. */
  kubeconfig: join(state, 'kubeconfig'),
  /** Helm's cache, config and data directories, so that tests never touch the user's own. */
  helmHome: join(state, 'helm'),
} as const;

export const binary = (name: 'switchboard-apiserver' | 'kubectl' | 'helm'): string =>
  join(paths.binDir, name);

/** Environment for running the pinned kubectl and helm against the local cluster. */
export function toolEnv(kubeconfig: string = paths.kubeconfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(paths.helmHome, 'cache'),
    HELM_CONFIG_HOME: join(paths.helmHome, 'config'),
    HELM_DATA_HOME: join(paths.helmHome, 'data'),
  };
}
