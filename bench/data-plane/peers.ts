/**
 * Peer gateways for comparison: Portkey's gateway (npm) and LiteLLM's proxy (PyPI). Each is installed, on first
 * use, into its own throwaway directory under bench/.peers/ (git-ignored), never into the project. An install or
 * start that fails is reported as such; nothing stands in for a missing peer.
 *
 * The installs sit in bench/.peers/node_modules/<peer>: ESLint and Prettier skip folders named node_modules at any
 * depth, and the project's `eslint .` / `prettier --check .` would otherwise walk into a Python virtual
 * environment full of JSON and JavaScript.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { CaseContext, RunningCase } from './cases.ts';
import { waitForHttp } from './ready.ts';

export const PORTKEY_PACKAGE = '@portkey-ai/gateway@1.15.2';
export const LITELLM_REQUIREMENT = 'litellm[proxy]==1.108.7';
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const PORTKEY_START_TIMEOUT_MS = 30_000;
/** LiteLLM imports a great deal; on one shared core that takes a while. */
const LITELLM_START_TIMEOUT_MS = 120_000;

export const PEER_IDS = ['portkey', 'litellm'] as const;
export type PeerId = (typeof PEER_IDS)[number];

export function isPeerId(id: string): id is PeerId {
  return (PEER_IDS as readonly string[]).includes(id);
}

export interface PeerInstall {
  readonly ok: boolean;
  /** What was installed, or why it could not be. */
  readonly detail: string;
  readonly seconds: number;
}

function portkeyDir(peersDir: string): string {
  return join(peersDir, 'node_modules', 'portkey');
}

function portkeyEntry(peersDir: string): string {
  return join(portkeyDir(peersDir), 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
}

function litellmDir(peersDir: string): string {
  return join(peersDir, 'node_modules', 'litellm');
}

/** The virtual environment's python, for reading the installed LiteLLM version. */
export function litellmPython(peersDir: string): string {
  return join(litellmDir(peersDir), 'venv', 'bin', 'python');
}

function litellmEntry(peersDir: string): string {
  return join(litellmDir(peersDir), 'venv', 'bin', 'litellm');
}

/** Runs a command to completion with its output in `logFile`; rejects on failure or after the install timeout. */
async function runLogged(
  command: string,
  args: readonly string[],
  cwd: string,
  logFile: string,
): Promise<void> {
  const log = await open(logFile, 'a');
  try {
    await log.write(`$ ${command} ${args.join(' ')}\n`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { cwd, stdio: ['ignore', log.fd, log.fd], detached: true });
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        reject(new Error(`${command} took longer than ${INSTALL_TIMEOUT_MS / 1000} s`));
      }, INSTALL_TIMEOUT_MS);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else
          reject(new Error(`${command} failed (${signal ?? `exit code ${String(code)}`}); see ${logFile}`));
      });
    });
  } finally {
    await log.close();
  }
}

async function timed(what: string, install: () => Promise<void>): Promise<PeerInstall> {
  const started = performance.now();
  try {
    await install();
    return { ok: true, detail: what, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, detail: `${what}: ${message}`, seconds: (performance.now() - started) / 1000 };
  }
}

/** Installs a peer unless it is there already (or `allowInstall` is false, when a missing one is unavailable). */
export async function ensurePeer(
  peer: PeerId,
  peersRoot: string,
  allowInstall: boolean,
): Promise<PeerInstall> {
  const peersDir = resolve(peersRoot); // commands below run in other directories
  const installed = peer === 'portkey' ? portkeyEntry(peersDir) : litellmEntry(peersDir);
  const what = peer === 'portkey' ? PORTKEY_PACKAGE : LITELLM_REQUIREMENT;
  if (existsSync(installed)) return { ok: true, detail: `${what} (already installed)`, seconds: 0 };
  if (!allowInstall)
    return { ok: false, detail: `${what} is not installed and --no-install was given`, seconds: 0 };
  if (peer === 'portkey') {
    const dir = portkeyDir(peersDir);
    return timed(what, async () => {
      await mkdir(dir, { recursive: true });
      // A package.json of its own, so npm installs here and not into the project above.
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'bench-peer-portkey', private: true }) + '\n',
      );
      await runLogged(
        'npm',
        ['install', '--no-audit', '--no-fund', '--save-exact', PORTKEY_PACKAGE],
        dir,
        join(dir, 'install.log'),
      );
    });
  }
  const dir = litellmDir(peersDir);
  return timed(what, async () => {
    await mkdir(dir, { recursive: true });
    const log = join(dir, 'install.log');
    await runLogged('python3', ['-m', 'venv', 'venv'], dir, log);
    await runLogged(
      join(dir, 'venv', 'bin', 'pip'),
      ['install', '--disable-pip-version-check', LITELLM_REQUIREMENT],
      dir,
      log,
    );
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

type PeerRunning = Omit<RunningCase, 'upstream'>;

export async function startPortkey(context: CaseContext, upstreamUrl: string): Promise<PeerRunning> {
  const port = await freePort();
  const started = performance.now();
  const child = context.group.spawn({
    name: 'portkey',
    core: context.cores.sut,
    command: process.execPath,
    args: [portkeyEntry(context.peersDir), `--port=${port}`, '--headless'],
    cwd: portkeyDir(context.peersDir),
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const ready = await waitForHttp(`http://127.0.0.1:${port}/`, child, PORTKEY_START_TIMEOUT_MS, {
    intervalMs: 10,
  });
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    headers: {
      authorization: 'Bearer sk-bench',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': upstreamUrl,
    },
    sut: child,
    readyMs: ready - started,
  };
}

export async function startLitellm(context: CaseContext, upstreamUrl: string): Promise<PeerRunning> {
  const port = await freePort();
  const config = join(context.workDir, 'litellm.yaml');
  await writeFile(
    config,
    stringify({
      model_list: [
        {
          model_name: 'chat',
          litellm_params: { model: 'openai/gpt-4o-mini', api_base: upstreamUrl, api_key: 'sk-bench' },
        },
      ],
      // As in LiteLLM's own benchmark recipe: no callbacks, no retries.
      litellm_settings: { telemetry: false, set_verbose: false, callbacks: [], num_retries: 0 },
      // Like the other systems here, no client authentication (with a master key, LiteLLM wants a database for
      // any other key). The proxy refuses to start keyless unless told this is deliberate; it only hears loopback.
      general_settings: { dangerously_permit_weak_or_unset_master_key: true },
    }),
  );
  const started = performance.now();
  const child = context.group.spawn({
    name: 'litellm',
    core: context.cores.sut,
    command: litellmEntry(context.peersDir),
    args: ['--config', config, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'],
    cwd: litellmDir(context.peersDir),
    env: {
      ...process.env,
      // No network here: use the cost map shipped in the package instead of fetching it.
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      LITELLM_LOG: 'ERROR',
      LITELLM_TELEMETRY: 'False',
    },
  });
  const ready = await waitForHttp(
    `http://127.0.0.1:${port}/health/liveliness`,
    child,
    LITELLM_START_TIMEOUT_MS,
    { intervalMs: 10 },
  );
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    headers: { authorization: 'Bearer sk-bench' },
    sut: child,
    readyMs: ready - started,
  };
}
