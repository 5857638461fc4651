/**
 * Child processes of a benchmark run, each pinned to one core. Every child gets its own process group (so a stop
 * reaches whatever it forked) and, where util-linux's setpriv exists, a parent-death signal (so nothing outlives
 * a run that is killed outright). `stopAll` runs on every way out: normal end, error, SIGINT/SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SpawnSpec {
  /** Shown in errors and results. */
  readonly name: string;
  /** The only core the process (and anything it forks) may run on. */
  readonly core: number;
  /** Scheduling niceness for the process and everything it starts (negative needs root); default 0. */
  readonly nice?: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const HAS_SETPRIV = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
const STDERR_TAIL_CHARS = 4000;
/** Unread stdout lines kept; a chatty child (a peer logging each request) must not grow the parent. */
const MAX_BUFFERED_LINES = 1000;
const STOP_GRACE_MS = 3000;

export class BenchChild {
  readonly name: string;
  readonly core: number;
  readonly pid: number;
  readonly #process: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters: Array<() => void> = [];
  #stderrTail = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;

  constructor(spec: SpawnSpec) {
    this.name = spec.name;
    this.core = spec.core;
    // nice before taskset, so that every thread the program starts inherits both.
    const niced = spec.nice ? ['nice', '-n', String(spec.nice)] : [];
    const pinned = [...niced, 'taskset', '-c', String(spec.core), spec.command, ...spec.args];
    const [command, ...args] = HAS_SETPRIV ? ['setpriv', '--pdeathsig', 'KILL', ...pinned] : pinned;
    this.#process = spawn(command as string, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true, // its own process group, stopped as a whole
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (this.#process.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
    this.pid = this.#process.pid;
    createInterface({ input: this.#process.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.#lines.push(line);
      if (this.#lines.length > MAX_BUFFERED_LINES) this.#lines.shift();
      this.#wake();
    });
    this.#process.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    this.exited = new Promise((resolve) => {
      this.#process.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#wake();
        resolve();
      });
    });
    this.#process.once('error', () => undefined); // reported through `exit` and the stderr tail
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** What the child last wrote to stderr. */
  get stderrTail(): string {
    return this.#stderrTail.trim();
  }

  /** The line of recent stderr most likely to say what went wrong, for one-line error messages. */
  get complaint(): string {
    const lines = this.stderrTail
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    // An exception's own line ("TypeError: ...", "ValueError: ...") first: a crash also prints source lines.
    const thrown = lines.find((line) => /^[\w.]*(Error|Exception)(:|$)/.test(line));
    const telling = lines.find((line) => /error|refused|fail|exception|cannot|denied/i.test(line));
    return (thrown ?? telling ?? lines.at(-1) ?? '').slice(0, 300);
  }

  /**
   * The next stdout line that parses as a JSON object. Other lines (banners) are skipped. Rejects when the child
   * exits first or `timeoutMs` passes.
   */
  async nextJson(timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) {
        const parsed = parseObject(line);
        if (parsed !== undefined) return parsed;
        continue;
      }
      if (this.#exit !== undefined) throw new Error(`${this.name} exited early (${this.#describeExit()})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} wrote nothing usable within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a signal to the child's whole process group; false when it is gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM to the group, then SIGKILL if it has not exited within the grace period. */
  async stop(): Promise<void> {
    if (!this.signal('SIGTERM')) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_GRACE_MS);
    });
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.signal('SIGKILL');
      await this.exited;
    }
    // The leader can exit before what it forked; make sure the rest of the group is gone too.
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
  }

  #describeExit(): string {
    const exit = this.#exit;
    const how = exit?.signal ? `signal ${exit.signal}` : `code ${String(exit?.code)}`;
    return this.complaint === '' ? how : `${how}: ${this.complaint}`;
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

function parseObject(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export class ProcessGroup {
  /** Niceness given to every child that does not set its own. */
  readonly nice: number;
  readonly #children = new Set<BenchChild>();
  readonly #onExit = (): void => this.killAllNow();
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping child processes\n`);
    void this.stopAll().finally(() => process.exit(130));
  };

  constructor(options: { nice?: number } = {}) {
    this.nice = options.nice ?? 0;
    process.on('exit', this.#onExit);
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  spawn(spec: SpawnSpec): BenchChild {
    const child = new BenchChild({ nice: this.nice, ...spec });
    this.#children.add(child);
    void child.exited.then(() => this.#children.delete(child));
    return child;
  }

  async stop(child: BenchChild): Promise<void> {
    await child.stop();
    this.#children.delete(child);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((child) => this.stop(child)));
  }

  /** Last resort on process exit, where nothing asynchronous runs any more. */
  killAllNow(): void {
    for (const child of this.#children) child.signal('SIGKILL');
  }

  /** Stops everything and removes the handlers; the group cannot be used afterwards. */
  async close(): Promise<void> {
    await this.stopAll();
    process.off('exit', this.#onExit);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }
}
