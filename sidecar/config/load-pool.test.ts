import { describe, expect, it } from '@jest/globals';
import { PoolLoadError, parsePoolYaml } from './load-pool.ts';

const header = `apiVersion: switchboard.dev/v1alpha1
kind: ProviderPool
metadata: {name: chat}
`;

const provider = (extra = '') =>
  `{name: primary, type: openai, baseURL: "http://127.0.0.1:9001/v1", models: [{name: chat, model: gpt-4o-mini}]${extra}}`;

function problemsOf(yaml: string): readonly string[] {
  try {
    parsePoolYaml(yaml, 'pool.yaml');
  } catch (err) {
    if (err instanceof PoolLoadError) return err.problems;
    throw err;
  }
  throw new Error('expected the pool to be rejected');
}

describe('loading a ProviderPool manifest', () => {
  it('fills in defaults for everything a minimal pool leaves out', () => {
    const pool = parsePoolYaml(`${header}spec:\n  providers:\n  - ${provider()}\n`);
    expect(pool.spec.strategy.type).toBe('weighted-round-robin');
    expect(pool.spec.providers[0]?.weight).toBe(1);
    expect(pool.spec.retry).toEqual({ attempts: 2, budgetRatio: 0.2, minRetriesPerSecond: 5 });
    expect(pool.spec.timeouts.connectMs).toBe(5000);
    expect(pool.spec.breaker.consecutiveFailures).toBe(5);
    expect(pool.spec.limits).toEqual({ maxRequestBodyBytes: 10 * 1024 * 1024, maxJsonDepth: 64 });
  });

  it('accepts the example pool shipped in examples/', async () => {
    const { readFile } = await import('node:fs/promises');
    const pool = parsePoolYaml(await readFile(new URL('../../examples/pool.yaml', import.meta.url), 'utf8'));
    expect(pool.spec.providers.map((p) => p.name)).toEqual(['primary', 'backup']);
  });

  it.each([
    [
      'a negative weight names the field and the bound',
      `- ${provider(', weight: -1')}`,
      'spec.providers[0].weight: must be ≥ 0',
    ],
    [
      'an unknown strategy lists the valid ones',
      `- ${provider()}\n  strategy: {type: fastest}`,
      'spec.strategy.type: must be one of: round-robin, weighted-round-robin, least-connections, response-time, cost-based, health-aware, adaptive',
    ],
    [
      'a non-http base URL is refused',
      `- {name: p, type: openai, baseURL: "file:///etc/passwd", models: [{name: chat, model: m}]}`,
      'spec.providers[0].baseURL: must be an http:// or https:// URL',
    ],
    [
      'a misspelt field is reported rather than ignored',
      `- ${provider(', wieght: 2')}`,
      'spec.providers[0]: unknown field "wieght"',
    ],
    [
      'a provider without models is refused',
      `- {name: p, type: openai, baseURL: "http://x/v1", models: []}`,
      'spec.providers[0].models: must have at least 1 item(s)',
    ],
    [
      'a missing provider model is required',
      `- {name: p, type: openai, baseURL: "http://x/v1", models: [{name: chat}]}`,
      'spec.providers[0].models[0].model: is required',
    ],
    [
      'an API key must come from exactly one source',
      `- ${provider(', apiKey: {env: A, secretKeyRef: {name: s, key: k}}')}`,
      'spec.providers[0].apiKey: set exactly one of env or secretKeyRef',
    ],
    [
      'duplicate provider names are refused',
      `- ${provider()}\n  - ${provider()}`,
      'spec.providers[1].name: duplicate provider name "primary" (also providers[0])',
    ],
    [
      'a pool whose weights are all zero would serve nothing',
      `- ${provider(', weight: 0')}`,
      'spec.providers: all provider weights are 0: at least one provider must take traffic',
    ],
    [
      'too many retries are refused',
      `- ${provider()}\n  retry: {attempts: 20}`,
      'spec.retry.attempts: must be ≤ 10',
    ],
    [
      'a fallback model no provider serves is refused',
      `- ${provider()}\n  models: [{name: chat, fallbacks: [chat-long]}]`,
      'spec.models[0].fallbacks[0]: no provider serves logical model "chat-long"',
    ],
    [
      'a model cannot be its own fallback',
      `- ${provider()}\n  models: [{name: chat, fallbacks: [chat]}]`,
      'spec.models[0].fallbacks[0]: a model cannot be its own fallback',
    ],
    [
      'settings for a model no provider serves are refused',
      `- ${provider()}\n  models: [{name: other}]`,
      'spec.models[0].name: no provider serves logical model "other"',
    ],
    [
      'a context window must be a positive number of tokens',
      `- {name: p, type: openai, baseURL: "http://x/v1", models: [{name: chat, model: m, contextWindow: 0}]}`,
      'spec.providers[0].models[0].contextWindow: must be ≥ 1',
    ],
  ])('%s', (_name, providers, expected) => {
    expect(problemsOf(`${header}spec:\n  providers:\n  ${providers}\n`)).toContain(expected);
  });

  it('lists every problem of a manifest at once, not only the first', () => {
    const problems = problemsOf(
      `${header}spec:\n  providers:\n  - {name: Bad_Name, type: nope, baseURL: "http://x/v1", weight: -2, models: [{name: chat, model: m}]}\n`,
    );
    expect(problems).toEqual([
      'spec.providers[0].name: must be lower-case letters, digits and "-" (a DNS label)',
      'spec.providers[0].type: must be one of: openai, openai-compatible, azure-openai, anthropic, gemini',
      'spec.providers[0].weight: must be ≥ 0',
    ]);
  });

  it('reports YAML syntax errors as such', () => {
    expect(problemsOf('spec: [unclosed')[0]).toMatch(/^not valid YAML/);
  });

  it('refuses a manifest of another kind', () => {
    expect(
      problemsOf(header.replace('ProviderPool', 'Deployment') + `spec:\n  providers:\n  - ${provider()}\n`),
    ).toEqual(['kind: must be "ProviderPool"']);
  });
});

describe('timeouts', () => {
  it('a provider override sets only the timeouts it names; the rest come from the pool', async () => {
    const { buildPoolRuntime } = await import('../routing/pool-runtime.ts');
    const pool = parsePoolYaml(
      `${header}spec:\n  timeouts: {firstByteMs: 1234}\n  providers:\n  - ${provider(', timeouts: {connectMs: 7}')}\n`,
    );
    expect(pool.spec.providers[0]?.timeouts).toEqual({ connectMs: 7 });
    const runtime = buildPoolRuntime(pool, undefined, {
      secrets: { env: {}, secretsDir: '/none' },
      rng: () => 0.5,
      now: 0,
      onBreakerTransition: () => {},
    });
    expect(runtime.providers.get('primary')?.timeouts).toEqual({
      connectMs: 7,
      firstByteMs: 1234,
      idleStreamMs: 30_000,
      totalMs: 600_000,
    });
    await runtime.providers.get('primary')?.close();
  });
});
