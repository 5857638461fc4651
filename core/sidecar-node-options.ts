/**
 * The Node.js flags a sidecar runs with (`node ${SIDECAR_NODE_OPTIONS} bin/switchboard.js sidecar`, or the same in
 * NODE_OPTIONS): the contract between the sidecar and whatever starts it in a pod, and what `npm run bench`
 * measures. V8 sizes its heap for a server with memory to spare; a sidecar in every pod should not.
 *
 * - `--max-semi-space-size=2` (MiB): the young generation, where every request's short-lived objects go, may grow
 *   to 3 × 16 MiB by default under load and stays that big; capped at 3 × 2 MiB it is collected more often, each
 *   time quickly (bench/results/: the sidecar's throughput against the same sidecar with V8's defaults).
 * - `--max-old-space-size=192` (MiB): the long-lived heap. The idle sidecar uses about 12 MiB; the bound is far
 *   above what the configuration and the in-flight requests need (request bodies live outside the heap), and
 *   turns a leak into a restart the kubelet sees instead of a pod that slowly eats its node.
 */
export const SIDECAR_NODE_OPTIONS: readonly string[] = [
  '--max-semi-space-size=2',
  '--max-old-space-size=192',
];
