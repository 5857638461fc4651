import type { TargetEndpoint } from '../adapter.ts';

const DEFAULT_API_VERSION = 'v1beta';

/** The configured model without the `models/` prefix Google's resource names carry. */
export function modelName(target: TargetEndpoint): string {
  return target.model.replace(/^models\//, '');
}

/**
 * `{baseURL}/{apiVersion}/models/{model}:{method}`, with the base URL as Google's SDKs take it
 * (https://generativelanguage.googleapis.com) and the version from the provider's `apiVersion` (default v1beta).
 * Only configuration goes into the URL, and the model is encoded as one path segment.
 */
export function methodURL(target: TargetEndpoint, method: string, query?: Record<string, string>): URL {
  const url = new URL(`${modelURL(target).href}:${method}`);
  for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
  return url;
}

/** `{baseURL}/{apiVersion}/models`: the models collection; listing it costs nothing (active health probes). */
export function modelsURL(target: TargetEndpoint): URL {
  const base = target.baseURL.replace(/\/+$/, '');
  return new URL(`${base}/${target.apiVersion ?? DEFAULT_API_VERSION}/models`);
}

/** `{baseURL}/{apiVersion}/models/{model}`. */
function modelURL(target: TargetEndpoint): URL {
  return new URL(`${modelsURL(target).href}/${encodeURIComponent(modelName(target))}`);
}
