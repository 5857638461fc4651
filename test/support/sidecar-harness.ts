/**
 * Integration-test support: real mock providers and a real sidecar on port 0, wired by a ProviderPool file in a
 * temporary directory, and the official OpenAI SDK as the client.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import type { MockDialect } from '../../mock-provider/dialect.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import { startSidecar, type RunningSidecar, type SidecarOptions } from '../../sidecar/sidecar.ts';

export interface MockSpec {
  readonly name: string;
  readonly behaviour?: Partial<MockBehaviour>;
  readonly apiKey?: string;
  /** Mock dialect, by name (mock-provider/dialects/registry.ts) or as an object; default openai. */
  readonly dialect?: string | MockDialect;
}

export type ProviderOverrides = Record<string, unknown>;

export interface Harness {
  readonly mocks: Record<string, MockProvider>;
  readonly sidecar: RunningSidecar;
  readonly client: OpenAI;
  readonly poolFile: string;
  /** Every log line the sidecar wrote, parsed. */
  readonly logs: string[];
  /** Rewrites the pool file (the sidecar picks it up by watching, or `sidecar.reload()`). */
  writePool(spec: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** A spec with one provider per mock, all serving logical model "chat" (as gpt-4o-mini) and "embed". */
export function poolSpec(
  mocks: Record<string, MockProvider>,
  options: { spec?: Record<string, unknown>; providers?: Record<string, ProviderOverrides> } = {},
): Record<string, unknown> {
  return {
    retry: { attempts: 2 },
    ...options.spec,
    providers: Object.values(mocks).map((m) => ({
      name: m.name,
      type: 'openai',
      baseURL: m.url,
      weight: 1,
      models: [
        { name: 'chat', model: 'gpt-4o-mini' },
        { name: 'embed', model: 'text-embedding-3-small' },
      ],
      ...options.providers?.[m.name],
    })),
  };
}

export function manifest(spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'switchboard.dev/v1alpha1',
    kind: 'ProviderPool',
    metadata: { name: 'test' },
    spec,
  });
}

export async function startHarness(
  mockSpecs: readonly MockSpec[],
  configure: (mocks: Record<string, MockProvider>) => Record<string, unknown> = (mocks) => poolSpec(mocks),
  sidecarOptions: Partial<SidecarOptions> = {},
): Promise<Harness> {
  const mocks: Record<string, MockProvider> = {};
  for (const [i, spec] of mockSpecs.entries()) {
    mocks[spec.name] = await startMockProvider({
      name: spec.name,
      seed: i + 1,
      ...(spec.apiKey === undefined ? {} : { apiKey: spec.apiKey }),
      ...(spec.dialect === undefined ? {} : { dialect: spec.dialect }),
      ...(spec.behaviour === undefined ? {} : { behaviour: spec.behaviour }),
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-test-'));
  const poolFile = join(dir, 'pool.yaml');
  const writePool = (spec: Record<string, unknown>) => writeFile(poolFile, manifest(spec));
  await writePool(configure(mocks));
  const logs: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  const sidecar = await startSidecar({
    poolFile,
    port: 0,
    metricsPort: 0,
    watch: false,
    logger,
    ...sidecarOptions,
  });
  const client = new OpenAI({ baseURL: sidecar.url, apiKey: 'not-needed-by-the-sidecar', maxRetries: 0 });
  return {
    mocks,
    sidecar,
    client,
    poolFile,
    logs,
    writePool,
    async close() {
      await sidecar.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const CHAT = { model: 'chat', messages: [{ role: 'user' as const, content: 'Say hello.' }] };

/** Which provider served each of `n` sequential chat requests, by the x-switchboard-provider header. */
export async function servedBy(
  client: OpenAI,
  n: number,
  headers: Record<string, string> = {},
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { response } = await client.chat.completions.create(CHAT, { headers }).withResponse();
    out.push(response.headers.get('x-switchboard-provider') ?? 'missing');
  }
  return out;
}

export function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

export async function metricsText(sidecar: RunningSidecar): Promise<string> {
  const res = await fetch(sidecar.metricsUrl ?? '');
  return res.text();
}

/** Requests all mock providers of the harness received so far. */
export function upstreamRequests(h: Harness): number {
  return Object.values(h.mocks).reduce((n, m) => n + m.stats.requests, 0);
}

/**
 * Each provider's circuit-breaker state now ("open" = traffic blocked): its own, or when that is closed, the first
 * of its models' breakers that is not (faults of one model open that model's breaker only).
 */
export function breakerStates(h: Harness): Record<string, string> {
  const now = Date.now();
  const states: Record<string, string> = {};
  for (const [name, provider] of h.sidecar.runtime().providers) {
    const phases = [provider.breaker, ...[...provider.targets.values()].map((t) => t.breaker)].map((b) =>
      b.state(now),
    );
    states[name] = phases.find((p) => p !== 'closed') ?? 'closed';
  }
  return states;
}
