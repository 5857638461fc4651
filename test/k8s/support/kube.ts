/**
 * Talking to the test cluster from tests: the pinned kubectl and helm (as users run them), and
 * @kubernetes/client-node, loaded as the operator loads it, for what tests assert at the API level.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../../operator/kube/kube-config.ts';
import { binary, toolEnv } from '../../../scripts/cluster/paths.ts';

/** The kubeconfig the jest global setup exported; fails clearly when the k8s project's setup did not run. */
export function kubeconfigPath(): string {
  const path = process.env.KUBECONFIG;
  if (!path)
    throw new Error('KUBECONFIG is not set: run these tests through jest (the k8s project starts a cluster)');
  return path;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts a pinned tool against the test cluster, for commands that stream (`kubectl get --watch`). */
export function spawnTool(tool: 'kubectl' | 'helm', args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(binary(tool), args, { env: toolEnv(kubeconfigPath()), stdio: 'pipe' });
}

/** Runs a pinned tool against the test cluster; never throws for a non-zero exit (see `ok`). */
function runTool(tool: 'kubectl' | 'helm', args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnTool(tool, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

export const kubectl = (args: readonly string[], input?: string): Promise<Run> =>
  runTool('kubectl', args, input);
export const helm = (args: readonly string[]): Promise<Run> => runTool('helm', args);

/** stdout of a run that must succeed; otherwise an error with the command's stderr. */
export async function ok(run: Promise<Run>): Promise<string> {
  const result = await run;
  if (result.code !== 0)
    throw new Error(`exit ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

/** The test cluster's admin configuration, loaded by the operator's loader. */
export function adminConfig(path: string = kubeconfigPath()): KubeConfig {
  return loadKubeConfig({ kubeconfig: path });
}
