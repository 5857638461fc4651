import { createHash } from 'node:crypto';
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';

/** What the operator publishes to the sidecars of one pool: a versioned full snapshot. */
export interface SidecarConfig {
  readonly namespace: string;
  readonly pool: string;
  /** Content hash: equal specs give equal versions, so sidecars can ACK or NACK a version and skip repeats. */
  readonly version: string;
  readonly spec: ProviderPoolSpec;
}

/** JSON with object keys sorted, so the hash does not depend on key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function configVersion(spec: ProviderPoolSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

/** The desired sidecar configuration of a valid pool (pure). */
export function desiredSidecarConfig(namespace: string, pool: string, spec: ProviderPoolSpec): SidecarConfig {
  return { namespace, pool, version: configVersion(spec), spec };
}
