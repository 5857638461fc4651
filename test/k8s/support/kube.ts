/**
 * Talking to the test cluster from tests: the pinned kubectl and helm (as users run them), and a small typed
 * HTTP client for what tests assert at the API level (watches, TokenReviews, status).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Agent } from 'undici';
import { request } from 'undici';
import { agentFor, readCredentials, type Credentials } from '../../../scripts/cluster/kubeconfig.ts';
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

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WatchEvent<T = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(method: string, path: string, status: number, body: unknown) {
    const message = (body as { message?: unknown } | null)?.message;
    super(`${method} ${path}: ${status} ${typeof message === 'string' ? message : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/** A minimal client for the API server's REST interface, authenticated as the kubeconfig's user. */
export class KubeClient {
  readonly #credentials: Credentials;
  readonly #agent: Agent;

  private constructor(credentials: Credentials) {
    this.#credentials = credentials;
    this.#agent = agentFor(credentials);
  }

  static async fromKubeconfig(path: string = kubeconfigPath()): Promise<KubeClient> {
    return new KubeClient(await readCredentials(path));
  }

  /** Sends a JSON request; resolves with the decoded answer, rejects with an ApiError for any non-2xx. */
  async request<T = KubeObject>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const response = await request(this.#credentials.server + path, {
      method,
      dispatcher: this.#agent,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    const decoded: unknown = text ? JSON.parse(text) : undefined;
    if (response.statusCode >= 300) throw new ApiError(method, path, response.statusCode, decoded);
    return decoded as T;
  }

  /**
   * Opens a watch (`path` is a collection, e.g. /api/v1/namespaces/x/configmaps?resourceVersion=12) and yields
   * its events until `signal` aborts or the server ends the stream.
   */
  async *watch<T = KubeObject>(path: string, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const separator = path.includes('?') ? '&' : '?';
    const url = `${this.#credentials.server}${path}${separator}watch=true`;
    const response = await request(url, {
      dispatcher: this.#agent,
      signal,
      headers: { accept: 'application/json' },
    });
    if (response.statusCode !== 200)
      throw new ApiError('WATCH', path, response.statusCode, await response.body.text());
    // One JSON object per line.
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += (chunk as Buffer).toString();
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
