/**
 * The demo's cast: four mock providers of different dialects and characters, and the ProviderPool in front of
 * them (adaptive, priced per model, a breaker with active probes and slow start so recovery is visible).
 */
import { stringify } from 'yaml';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';

export interface DemoProvider {
  readonly name: string;
  /** The pool's wire dialect for it. */
  readonly type: 'openai' | 'openai-compatible' | 'anthropic' | 'gemini';
  /** The mock's dialect. */
  readonly dialect: 'openai' | 'anthropic' | 'gemini';
  readonly model: string;
  readonly pricing: { readonly inputPerMillionTokens: number; readonly outputPerMillionTokens: number };
  readonly behaviour: Partial<MockBehaviour>;
  /** What it is like, for the printout. */
  readonly character: string;
}

export const DEMO_PROVIDERS: readonly DemoProvider[] = [
  {
    name: 'fast-pricey',
    type: 'openai',
    dialect: 'openai',
    model: 'gpt-4o',
    pricing: { inputPerMillionTokens: 2.5, outputPerMillionTokens: 10 },
    behaviour: { latencyMs: 40, latencyJitterMs: 30, chunkIntervalMs: 10 },
    character: 'OpenAI dialect, ~50 ms, pricey',
  },
  {
    name: 'cheap-slow',
    type: 'anthropic',
    dialect: 'anthropic',
    model: 'claude-haiku-4-5',
    pricing: { inputPerMillionTokens: 0.25, outputPerMillionTokens: 1.25 },
    behaviour: { latencyMs: 500, latencyJitterMs: 300, chunkIntervalMs: 40 },
    character: 'Anthropic dialect, ~650 ms, cheap',
  },
  {
    name: 'flaky',
    type: 'gemini',
    dialect: 'gemini',
    model: 'gemini-2.5-flash',
    pricing: { inputPerMillionTokens: 0.3, outputPerMillionTokens: 2.5 },
    behaviour: { latencyMs: 80, latencyJitterMs: 40, errorRate: 0.15 },
    character: 'Gemini dialect, ~100 ms, 15 % errors',
  },
  {
    name: 'capped',
    type: 'openai-compatible',
    dialect: 'openai',
    model: 'llama-3.1-8b-instruct',
    pricing: { inputPerMillionTokens: 0.2, outputPerMillionTokens: 0.6 },
    behaviour: { latencyMs: 120, latencyJitterMs: 60, requestsPerMinute: 60, enforceRateLimits: true },
    character: 'OpenAI-compatible, ~150 ms, 60 requests a minute, then 429s',
  },
];

export const DEMO_POOL = { namespace: 'default', name: 'demo' } as const;

/** The pool manifest, with each provider's mock URL. */
export function demoPoolYaml(urls: ReadonlyMap<string, string>): string {
  const header =
    "# The demo pool: edit it while `switchboard demo` runs (or use the dashboard's controls, which edit this\n" +
    '# file): the operator applies every change and pushes it to the sidecars.\n';
  return (
    header +
    stringify({
      apiVersion: 'switchboard.dev/v1alpha1',
      kind: 'ProviderPool',
      metadata: { name: DEMO_POOL.name, namespace: DEMO_POOL.namespace },
      spec: {
        strategy: { type: 'adaptive' },
        providers: DEMO_PROVIDERS.map((p) => ({
          name: p.name,
          type: p.type,
          baseURL: urls.get(p.name),
          weight: 1,
          models: [{ name: 'chat', model: p.model, pricing: p.pricing }],
        })),
        retry: { attempts: 2 },
        breaker: {
          consecutiveFailures: 5,
          baseBackoffMs: 3000,
          maxBackoffMs: 15000,
          activeProbeIntervalMs: 1000,
          slowStartMs: 10000,
        },
        rateLimit: { defaultCooldownMs: 5000 },
      },
    })
  );
}
