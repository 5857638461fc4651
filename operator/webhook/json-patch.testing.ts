/**
 * Applies the `add` operations of a JSON patch (RFC 6902) to a copy of a document, as the API server applies a
 * webhook's patch: what the injection tests read back. Only `add` is needed: the injector emits nothing else.
 */
import type { JsonPatchOperation } from './inject-sidecar.ts';

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

export function applyPatch<T>(document: T, patch: readonly JsonPatchOperation[]): T {
  const root = structuredClone(document) as unknown;
  for (const { path, value } of patch) {
    const segments = path.split('/').slice(1).map(unescape);
    const last = segments.pop();
    if (last === undefined) throw new Error(`cannot add at the root: ${path}`);
    let parent: unknown = root;
    for (const segment of segments) {
      parent = (parent as Record<string, unknown>)[segment];
      if (parent === undefined) throw new Error(`${path}: ${segment} does not exist`);
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!(index >= 0 && index <= parent.length)) throw new Error(`${path}: index out of range`);
      parent.splice(index, 0, structuredClone(value));
    } else (parent as Record<string, unknown>)[last] = structuredClone(value);
  }
  return root as T;
}
