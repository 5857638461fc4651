/**
 * What a test starts it registers here to be stopped after the test, last started first (a process before the
 * directory it runs in), even when the test failed half-way. Call at the top of a file or a describe block.
 */
import { afterEach } from '@jest/globals';

export function useCleanups(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}
