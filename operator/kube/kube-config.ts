/**
 * Where the API server is and how to authenticate, by @kubernetes/client-node's KubeConfig: a kubeconfig file,
 * or `loadFromDefault()` ($KUBECONFIG with several files merged, ~/.kube/config, then the pod's service account,
 * whose token file is re-read as it rotates). Client certificates, tokens and exec credential plugins (EKS, GKE,
 * AKS) are the library's; this module only adds `--context` and errors that name what is wrong.
 */
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigChoice {
  /** A kubeconfig file; undefined: KubeConfig.loadFromDefault(). */
  readonly kubeconfig?: string;
  /** Use this context instead of the file's current-context. */
  readonly context?: string;
}

export function loadKubeConfig(choice: KubeConfigChoice = {}): KubeConfig {
  const config = new KubeConfig();
  const source = choice.kubeconfig ?? process.env.KUBECONFIG ?? 'the default configuration';
  try {
    if (choice.kubeconfig === undefined) config.loadFromDefault();
    else config.loadFromFile(choice.kubeconfig);
  } catch (err) {
    throw new Error(`cannot load kubeconfig ${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (choice.context !== undefined) {
    if (!config.getContextObject(choice.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new Error(`${source} has no context "${choice.context}" (it has: ${known.join(', ') || 'none'})`);
    }
    config.setCurrentContext(choice.context);
  }
  if (!config.getCurrentCluster())
    throw new Error(`${source}: context "${config.getCurrentContext()}" names no cluster`);
  return config;
}

/** The namespace of the current context (in a pod: the pod's own), when it names one. */
export function contextNamespace(config: KubeConfig): string | undefined {
  return config.getContextObject(config.getCurrentContext())?.namespace || undefined;
}
