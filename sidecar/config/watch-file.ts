import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` (debounced) whenever `path` may have changed. It watches the directory, not the file, so it
 * follows editors that replace files and Kubernetes ConfigMap volumes that swap a symlink; the caller compares
 * contents, so spurious calls are harmless.
 */
export function watchFile(path: string, onChange: () => void, debounceMs = 100): () => void {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file === null || file === name || file.startsWith('..')) fire();
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
