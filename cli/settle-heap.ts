/**
 * One memory-reducing garbage collection shortly after the sidecar is ready: the heap it then rests with.
 *
 * Start-up allocates ~15 MB in ~150 ms (the bundle's modules, the schemas, the pool) with most of it surviving, so
 * V8 grows the young generation to its cap (--max-semi-space-size) and keeps those pages when start-up ends. V8's
 * memory reducer would shrink it once the process is quiet, but it judges "quiet" from allocation samples taken at
 * garbage collections, and a sidecar that goes idle right after start-up has no collection after start-up: the
 * reducer keeps finding a high allocation rate and waiting (--trace-memory-reducer: "high alloc" every 8 s, still
 * after 2 minutes), and the ~6 MiB of young-generation pages stay resident for good. One collection with V8's
 * "last resort" flavour (full, compacting, shrinks the young generation, returns pooled pages) brings the idle
 * sidecar where it then stays (measured at 3, 10 and 30 s: docs/benchmarks.md, footprint).
 *
 * Its cost is one pause of the main thread, ~20-50 ms, once in the process's life, a second after ready (so it
 * never delays readiness). It runs only if that second was quiet (under a tenth of a core used): a sidecar that
 * gets traffic as soon as it is ready (a rollout) is using its young generation, and a compacting collection in the
 * middle of that load cut its chat throughput from 0.75x to 0.63x the bare forwarder's (`npm run bench`, whose
 * load starts at once). A sidecar that settled and gets its first load later grows the young generation back within
 * the load's first seconds: a GC trace shows as many young-generation collections per request as without the
 * settle from then on (docs/benchmarks.md, footprint). Needs `--expose-gc` (SIDECAR_NODE_OPTIONS); without it this
 * does nothing.
 */
export const SETTLE_DELAY_MS = 1000;

/** A second is quiet when the process used less than this share of a core in it. */
export const QUIET_CPU_SHARE = 0.1;

/** Whether `cpuMicros` of CPU time over `elapsedMs` of wall time leaves the process quiet. */
export function wasQuiet(cpuMicros: number, elapsedMs: number, share: number = QUIET_CPU_SHARE): boolean {
  return cpuMicros < share * elapsedMs * 1000;
}

export interface SettleOptions {
  readonly gc?: NodeJS.GCFunction | undefined;
  readonly delayMs?: number;
  /** The process's CPU time so far, µs (user + system). */
  readonly cpuMicros?: () => number;
  /** Wall clock, ms. */
  readonly now?: () => number;
}

function processCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Schedules the collection (a timer that does not keep the process alive) for a quiet first second after ready;
 * undefined when `gc` is not exposed.
 */
export function settleHeapAfterStart({
  gc = globalThis.gc,
  delayMs = SETTLE_DELAY_MS,
  cpuMicros = processCpuMicros,
  now = Date.now,
}: SettleOptions = {}): NodeJS.Timeout | undefined {
  if (gc === undefined) return undefined;
  const cpuAtStart = cpuMicros();
  const startedAt = now();
  return setTimeout(() => {
    if (!wasQuiet(cpuMicros() - cpuAtStart, Math.max(1, now() - startedAt))) return;
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  }, delayMs).unref();
}
