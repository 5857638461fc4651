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
 * never delays readiness); under load the young generation grows back to its cap as it would anyway. Needs
 * `--expose-gc` (SIDECAR_NODE_OPTIONS); without it this does nothing.
 */
export const SETTLE_DELAY_MS = 1000;

/** Schedules the collection (a timer that does not keep the process alive); undefined when `gc` is not exposed. */
export function settleHeapAfterStart(
  gc: NodeJS.GCFunction | undefined = globalThis.gc,
  delayMs: number = SETTLE_DELAY_MS,
): NodeJS.Timeout | undefined {
  if (gc === undefined) return undefined;
  return setTimeout(() => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }), delayMs).unref();
}
