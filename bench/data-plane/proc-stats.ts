/**
 * Reads a process tree's CPU time and resident memory from /proc (Linux only). A system under test may fork
 * workers (LiteLLM's proxy, npm wrappers), so every reading sums the tree under the spawned pid.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = clockTicks();

function clockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  return text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}

/** `root` and all its live descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    // After the name: state (0), ppid (1).
    const parent = fields === undefined ? NaN : Number(fields[1]);
    if (Number.isNaN(parent)) continue;
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** User plus system CPU seconds used so far by the tree under `root`. */
export function cpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const fields = statFields(pid);
    // After the name, utime and stime are the 12th and 13th fields (14 and 15 in proc(5), counting pid and name).
    if (fields !== undefined) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

export interface MemoryReading {
  /** Resident set size now (VmRSS), summed over the tree, MiB. */
  readonly rssMiB: number;
  /** Peak resident set size (VmHWM), summed over the tree, MiB. */
  readonly peakRssMiB: number;
}

function statusKiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

export function memory(root: number): MemoryReading {
  let rss = 0;
  let peak = 0;
  for (const pid of processTree(root)) {
    const status = readText(`/proc/${pid}/status`);
    if (status === undefined) continue;
    rss += statusKiB(status, 'VmRSS');
    peak += statusKiB(status, 'VmHWM');
  }
  return { rssMiB: rss / 1024, peakRssMiB: peak / 1024 };
}

/** Busy and total jiffies of each core since boot, from /proc/stat. */
function coreTimes(): Map<number, { busy: number; total: number }> {
  const times = new Map<number, { busy: number; total: number }>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (
      match[2] ?? ''
    )
      .trim()
      .split(/\s+/)
      .map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    times.set(Number(match[1]), { busy, total: busy + idle + iowait });
  }
  return times;
}

export interface CpuShares {
  /** Share of one core each watched process tree used, in percent. */
  readonly processes: Record<string, number>;
  /** How busy each watched core was, in percent, whoever used it. */
  readonly cores: Record<number, number>;
}

/** Watches the CPU used by a set of process trees, and how busy some cores were, over an interval. */
export class CpuMeter {
  readonly #roots: ReadonlyMap<string, number>;
  readonly #cores: readonly number[];
  #startedAt = 0;
  #start = new Map<string, number>();
  #startCores = new Map<number, { busy: number; total: number }>();

  constructor(roots: ReadonlyMap<string, number>, cores: readonly number[]) {
    this.#roots = roots;
    this.#cores = cores;
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#start = new Map([...this.#roots].map(([name, pid]) => [name, cpuSeconds(pid)]));
    this.#startCores = coreTimes();
  }

  stop(): CpuShares {
    const elapsedS = (performance.now() - this.#startedAt) / 1000;
    const processes: Record<string, number> = {};
    for (const [name, pid] of this.#roots) {
      const used = cpuSeconds(pid) - (this.#start.get(name) ?? 0);
      processes[name] = elapsedS > 0 ? (100 * used) / elapsedS : 0;
    }
    const now = coreTimes();
    const cores: Record<number, number> = {};
    for (const core of this.#cores) {
      const before = this.#startCores.get(core);
      const after = now.get(core);
      if (!before || !after || after.total === before.total) continue;
      cores[core] = (100 * (after.busy - before.busy)) / (after.total - before.total);
    }
    return { processes, cores };
  }
}
