import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`; resolves false instead if `signal` aborts first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Resolves when `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Writes `chunk`, waiting for 'drain' when the stream asks for it; false when `signal` aborts first. */
export async function writeWithBackpressure(
  stream: Writable,
  chunk: string,
  signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted) return false;
  if (stream.write(chunk)) return true;
  try {
    await once(stream, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}
