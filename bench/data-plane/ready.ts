/** Waiting for a child's HTTP endpoint, polled often enough to time a start-up in milliseconds. */
import type { BenchChild } from './process-group.ts';

/**
 * Polls `url` every `intervalMs` until it answers `accept(status)`; rejects when the child exits or `timeoutMs`
 * passes. Resolves to the moment (performance.now()) of the answer that passed.
 */
export async function waitForHttp(
  url: string,
  child: BenchChild,
  timeoutMs: number,
  { intervalMs = 250, accept = (status: number) => status < 500 } = {},
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running)
      throw new Error(`${child.name} exited while starting: ${child.stderrTail.slice(-800)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (accept(response.status)) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `${child.name} did not answer ${url} within ${timeoutMs / 1000} s: ${child.stderrTail.slice(-800)}`,
  );
}
