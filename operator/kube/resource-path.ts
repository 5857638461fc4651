import type { ResourceType } from './types.ts';

/** The REST path of a collection (`name` undefined) or one object, optionally a subresource of it. */
export function resourcePath(
  type: ResourceType,
  where: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  if (type.namespaced && where.name !== undefined && where.namespace === undefined)
    throw new Error(`${type.plural} are namespaced: a namespace is needed to address "${where.name}"`);
  const namespace =
    type.namespaced && where.namespace !== undefined
      ? `/namespaces/${encodeURIComponent(where.namespace)}`
      : '';
  const name = where.name === undefined ? '' : `/${encodeURIComponent(where.name)}`;
  const subresource = where.subresource === undefined ? '' : `/${where.subresource}`;
  return `${base}${namespace}/${type.plural}${name}${subresource}`;
}

/** Appends query parameters, leaving out undefined ones. */
export function withQuery(
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
