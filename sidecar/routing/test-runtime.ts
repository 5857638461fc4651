/**
 * Shared by unit tests: a pool runtime built the way the sidecar builds one, from a spec whose providers default
 * to OpenAI at an unroutable address serving logical model "chat" as "m", with a seeded random source and a fixed
 * clock. Nothing is dialled; tests drive the runtime's decisions directly.
 */
import { seededRng } from '../../core/clock.ts';
import { parsePool } from '../config/load-pool.ts';
import { buildPoolRuntime, type PoolRuntime } from './pool-runtime.ts';

export const TEST_NOW = 1_000_000;

export interface TestPoolSpec {
  readonly providers: readonly Record<string, unknown>[];
  readonly [field: string]: unknown;
}

export function testRuntime(spec: TestPoolSpec, now: number = TEST_NOW): PoolRuntime {
  const pool = parsePool({
    apiVersion: 'switchboard.dev/v1alpha1',
    kind: 'ProviderPool',
    metadata: { name: 't' },
    spec: {
      ...spec,
      providers: spec.providers.map((p) => ({
        type: 'openai',
        baseURL: 'http://127.0.0.1:1/v1',
        models: [{ name: 'chat', model: 'm' }],
        ...p,
      })),
    },
  });
  return buildPoolRuntime(pool, undefined, {
    secrets: { env: {}, secretsDir: '/none' },
    rng: seededRng(1),
    now,
    onBreakerTransition: () => {},
  });
}
