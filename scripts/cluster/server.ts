/**
 * Starts and stops the local test API server (test/kube-apiserver): one background process, its pid and log
 * under .switchboard/cluster/, and an admin kubeconfig at .switchboard/kubeconfig once /readyz is ok.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { request } from 'undici';
import { ensureBinaries, KUBERNETES_VERSION } from './binaries.ts';
import { agentFor, readCredentials, type Credentials } from './kubeconfig.ts';
import { binary, paths } from './paths.ts';
import { say } from './say.ts';

export interface RunningCluster {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** Absolute path of the admin kubeconfig. */
  readonly kubeconfig: string;
  /** Where the pinned kubectl and helm are. */
  readonly binDir: string;
  readonly pid: number;
  /** False when a healthy server was already running. */
  readonly startedNow: boolean;
}

/** How long a start may take: a cold start is a few seconds, but the machine may be busy. */
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;

/** Builds the binaries if needed, then starts the server unless a healthy one is running. Idempotent. */
export async function clusterUp(): Promise<RunningCluster> {
  const build = (await ensureBinaries())['kube-apiserver'] ?? '';

  const pid = await readPid();
  if (pid !== undefined && isServerProcess(pid) && (await readBuild()) !== build) {
    say(`the running kube-apiserver (pid ${pid}) is from an older build: restarting it`);
    await stopProcess(pid);
    await removeState();
  } else if (pid !== undefined && isServerProcess(pid)) {
    // Running, or being started by another caller: either way, wait for it rather than start a second one.
    const server = await waitUntilReady(pid, () => undefined);
    await publishKubeconfig();
    say(`kube-apiserver already running at ${server} (pid ${pid})`);
    return { server, kubeconfig: paths.kubeconfig, binDir: paths.binDir, pid, startedNow: false };
  }
  if (existsSync(paths.clusterDir)) {
    say(
      `removing the state of a server that is no longer running${pid === undefined ? '' : ` (pid ${pid})`}`,
    );
    await removeState();
  }
  return start(build);
}

async function start(build: string): Promise<RunningCluster> {
  const started = Date.now();
  say(`starting kube-apiserver ${KUBERNETES_VERSION} with embedded etcd…`);
  await mkdir(paths.clusterDir, { recursive: true });
  const log = await open(paths.logFile, 'a');
  // detached: the server gets its own process group (cluster:down stops the group) and outlives this process.
  const child = spawn(
    binary('switchboard-apiserver'),
    ['-data-dir', paths.clusterDir, '-kubeconfig', paths.serverKubeconfig, '--', ...extraFlags()],
    { detached: true, stdio: ['ignore', log.fd, log.fd] },
  );
  await log.close();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary('switchboard-apiserver')}`);
  let exit: string | undefined;
  child.on('exit', (code, signal) => (exit = signal === null ? `exit code ${code}` : `signal ${signal}`));
  child.unref();
  await writeFile(paths.pidFile, `${pid}\n`);
  await writeFile(paths.buildFile, `${build}\n`);

  try {
    const server = await waitUntilReady(pid, () => exit);
    await publishKubeconfig();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    say(`kube-apiserver ready at ${server} in ${seconds}s (pid ${pid}, log ${rel(paths.logFile)})`);
    say(`  export KUBECONFIG=${paths.kubeconfig} PATH=${paths.binDir}:$PATH`);
    return { server, kubeconfig: paths.kubeconfig, binDir: paths.binDir, pid, startedNow: true };
  } catch (err) {
    await stopProcess(pid);
    throw err;
  }
}

/**
 * Extra kube-apiserver flags from SWITCHBOARD_APISERVER_FLAGS (space-separated), e.g.
 * `--feature-gates=SomeGate=true`; they override the built-in ones. Applied when a server starts.
 */
function extraFlags(): string[] {
  return (process.env.SWITCHBOARD_APISERVER_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Polls until the server answers /readyz with ok, and returns its URL. Fails, with the end of the log, when the
 * process exits (`exited` says how) or does not become ready in time.
 */
async function waitUntilReady(pid: number, exited: () => string | undefined): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no kubeconfig written yet';
  for (;;) {
    const how = exited() ?? (isServerProcess(pid) ? undefined : 'exited');
    if (how !== undefined)
      throw await failure(`kube-apiserver (pid ${pid}) stopped before it was ready (${how})`);
    if (existsSync(paths.serverKubeconfig)) {
      const credentials = await readCredentials(paths.serverKubeconfig);
      const answer = await readyz(credentials);
      if (answer === 'ok') return credentials.server;
      last = answer;
    }
    if (Date.now() > deadline)
      throw await failure(
        `kube-apiserver (pid ${pid}) not ready after ${READY_TIMEOUT_MS / 1000}s (${last})`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** 'ok', or what stands in the way (the failing checks /readyz lists, or the connection error). */
async function readyz(credentials: Credentials): Promise<string> {
  const dispatcher = agentFor(credentials);
  try {
    const { statusCode, body } = await request(`${credentials.server}/readyz`, {
      dispatcher,
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const text = (await body.text()).trim();
    if (statusCode === 200) return 'ok';
    const failing = text.split('\n').filter((line) => line.startsWith('[-]'));
    return `/readyz ${statusCode}: ${failing.join(', ') || text.slice(0, 200)}`;
  } catch (err) {
    return `/readyz: ${(err as Error).message}`;
  } finally {
    await dispatcher.close();
  }
}

async function failure(message: string): Promise<Error> {
  const tail = await logTail(40);
  return new Error(`${message}\n--- last lines of ${rel(paths.logFile)} ---\n${tail}\n---`);
}

async function logTail(lines: number): Promise<string> {
  try {
    return (await readFile(paths.logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Copies the server's kubeconfig to .switchboard/kubeconfig, atomically, for users and tests. */
async function publishKubeconfig(): Promise<void> {
  const tmp = `${paths.kubeconfig}.${process.pid}.tmp`;
  await copyFile(paths.serverKubeconfig, tmp);
  await rename(tmp, paths.kubeconfig);
}

/** Stops the server (its whole process group) and removes its state. Quiet success when none is running. */
export async function clusterDown(): Promise<void> {
  const pid = await readPid();
  if (pid !== undefined && isServerProcess(pid)) {
    await stopProcess(pid);
    say(`stopped kube-apiserver (pid ${pid})`);
  } else {
    say('no kube-apiserver running');
  }
  if (existsSync(paths.clusterDir) || existsSync(paths.kubeconfig)) {
    await removeState();
    say(`removed ${rel(paths.clusterDir)}/ and ${rel(paths.kubeconfig)}`);
  }
}

async function stopProcess(pid: number): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      signalGroup(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Signals the process group the server leads (it was started detached), or the process alone if that fails. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function removeState(): Promise<void> {
  await rm(paths.clusterDir, { recursive: true, force: true });
  await rm(paths.kubeconfig, { force: true });
}

async function readPid(): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The build key (see ensureBinaries) of the binary the running server was started from. */
async function readBuild(): Promise<string | undefined> {
  try {
    return (await readFile(paths.buildFile, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether pid is alive and is our server, not another program that was given the pid of one that died (on Linux
 * the command line says; elsewhere being alive has to do).
 */
function isServerProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes('switchboard-apiserver');
  } catch {
    return false;
  }
}

const rel = (path: string): string => relative(process.cwd(), path) || '.';
