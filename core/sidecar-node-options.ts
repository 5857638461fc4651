/**
 * The Node.js flags a sidecar runs with (`node ${SIDECAR_NODE_OPTIONS} bin/switchboard.js sidecar`, or the same in
 * NODE_OPTIONS): the contract between the sidecar and whatever starts it in a pod, and what `npm run bench`
 * measures. V8 sizes its heap for a server with memory to spare; a sidecar in every pod should not.
 *
 * - `--max-semi-space-size=4` (MiB): the young generation, where every request's short-lived objects go, may grow
 *   to 3 × 16 MiB and more by default under load and stays that big; capped, it is collected more often. The cap
 *   trades CPU for memory, and it is what separates the sidecar from a featureless forwarder: with the same flags
 *   the forwarder serves less than the sidecar (`npm run bench`, case minimal-forwarder-capped; docs/benchmarks.md).
 *   Where throughput matters more than memory, the chart's `sidecar.nodeOptions` replaces these flags per release.
 *   Measured with bench/data-plane/sidecar-settings.ts (7 alternated rounds of chat and streams at 32 connections,
 *   CPU time per request from /proc, medians; four runs on a shared 2-core machine) and the RSS after
 *   `npm run bench`'s load (3 rounds), all with SIDECAR_ENVIRONMENT below:
 *     - 2 MiB: RSS after load 92-95 MiB; the reference for CPU.
 *     - 4 MiB: 3-9 % less CPU per chat request and 8-18 % less per stream than 2 MiB; RSS after load 95-101 MiB
 *       (median 97-98), the largest cap that stays within the 100 MiB target.
 *     - 8 MiB: about as fast as 4 MiB in these runs, 102-108 MiB after load.
 *     - V8's defaults (no flags, no SIDECAR_ENVIRONMENT): 20-25 % less CPU per request than 2 MiB, 200-280 MiB
 *       after load.
 * - `--max-old-space-size=192` (MiB): the long-lived heap. The idle sidecar uses about 12 MiB; the bound is far
 *   above what the configuration and the in-flight requests need (request bodies live outside the heap), and
 *   turns a leak into a restart the kubelet sees instead of a pod that slowly eats its node.
 * - `--expose-gc`: lets the sidecar run one memory-reducing collection a second after it is ready
 *   (cli/settle-heap.ts), without which V8 keeps the young generation start-up grew for as long as the sidecar
 *   idles: idle RSS ~6 MiB lower, at the cost of one ~20-50 ms pause once per process. Defines a global `gc` in the
 *   sidecar's process, which runs nothing but the sidecar.
 */
export const SIDECAR_NODE_OPTIONS: readonly string[] = [
  '--max-semi-space-size=4',
  '--max-old-space-size=192',
  '--expose-gc',
];

/**
 * The environment a sidecar runs with besides NODE_OPTIONS (set by whatever starts it, as the flags above: glibc
 * reads it when the process starts).
 *
 * - `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768`: glibc's malloc serves blocks of 32 KiB and more from their
 *   own mappings, returned to the system when freed, instead of from its heaps. V8's compilers allocate their
 *   working memory (zones) in 32 KiB segments, ~7 MiB while the sidecar starts and ~30 MiB while TurboFan optimises
 *   the request path under load; freed, it stayed in glibc's heaps and arenas, counted in RSS for good (smaps: the
 *   `[heap]` and the 64 MiB thread arenas). Measured on the bundle (3 s after ready, and after 30 s of chat and
 *   stream load at 32 connections): idle RSS -6 MiB, RSS after load 122 -> 97 MiB. The cost is ~0.25 mmap/munmap
 *   pairs per request (strace -c), within the noise of CPU time per request. Without glibc (musl) it is ignored.
 */
export const SIDECAR_ENVIRONMENT: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=32768',
};
