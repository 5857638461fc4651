/**
 * The real `switchboard` CLI as a child process, on the Node that runs the tests (Node 24 via npm), with its
 * output collected: stdout lines, and stderr's structured log lines parsed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from './wait.ts';

const BIN = new URL('../../bin/switchboard.js', import.meta.url).pathname;

export interface LogEntry {
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly logs: LogEntry[];
  /** The first log entry with this message, once it appears. */
  waitForLog(msg: string, timeoutMs?: number): Promise<LogEntry>;
  /** SIGTERM (or `signal`), then waits for the exit; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const stdout: string[] = [];
  const logs: LogEntry[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => stdout.push(line));
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogEntry);
    } catch {
      logs.push({ msg: line });
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout,
    logs,
    async waitForLog(msg, timeoutMs = 15_000) {
      await waitFor(`log "${msg}"`, () => logs.some((l) => l.msg === msg), timeoutMs);
      return logs.find((l) => l.msg === msg) as LogEntry;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
