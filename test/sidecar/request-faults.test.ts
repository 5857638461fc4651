/**
 * A request's own fault never counts against a provider: input nested past `spec.limits.maxJsonDepth` is refused
 * before parsing, and whatever fails while the upstream request is built (before a byte leaves for a provider) is
 * answered without a breaker failure, an error-rate sample, an attempt metric or a retry elsewhere.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProviderAdapter } from '../../sidecar/providers/adapter.ts';
import { systemClock } from '../../core/clock.ts';
import { InvalidRequestError } from '../../sidecar/core/errors.ts';
import { metricsText, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

const PROVIDERS = ['a', 'b', 'c'];

/** JSON text of `depth` arrays inside one another around `leaf`, built without recursion. */
function nested(depth: number, leaf = '1'): string {
  return '['.repeat(depth) + leaf + ']'.repeat(depth);
}

const chat = (fields: string) => `{"model":"chat","messages":[{"role":"user","content":"hi"}],${fields}}`;

interface Case {
  name: string;
  path: string;
  body: string;
  status: number;
  /** What the client's SDK reads: the OpenAI error shape, or Anthropic's on /v1/messages. */
  shape: 'openai' | 'anthropic';
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a pass-through field nested 5,000 levels deep is a 400 naming the limit',
    path: '/v1/chat/completions',
    body: chat(`"x_extension":${nested(5_000)}`),
    status: 400,
    shape: 'openai',
    message: /deeper than the limit of 64 levels \(spec\.limits\.maxJsonDepth\)/,
  },
  {
    name: '100,000-deep arrays in content[].text are a 400, not a 500',
    path: '/v1/chat/completions',
    body: `{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":${nested(100_000, '"x"')}}]}]}`,
    status: 400,
    shape: 'openai',
    message: /maxJsonDepth/,
  },
  {
    name: 'deep nesting on /v1/messages is a 400 in Anthropic’s error shape',
    path: '/v1/messages',
    body: `{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"metadata":{"x":${nested(5_000)}}}`,
    status: 400,
    shape: 'anthropic',
    message: /maxJsonDepth/,
  },
];

function errorMessage(shape: Case['shape'], body: unknown): string | undefined {
  const error = (body as { error?: { message?: string; type?: string } }).error;
  if (shape === 'anthropic') {
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  } else {
    expect(error?.type).toBe('invalid_request_error');
  }
  return error?.message;
}

function expectNoProviderBlamed(h: Harness): void {
  const now = systemClock.now();
  for (const name of PROVIDERS) {
    expect(h.mocks[name]?.stats.requests).toBe(0);
    const breaker = h.sidecar.runtime().providers.get(name)?.breaker;
    expect(breaker?.snapshot(now)).toMatchObject({ phase: 'closed', consecutiveFailures: 0 });
  }
}

/** Three providers, each of whose breakers one failure would open: any blame on a provider shows. */
function startPool(): Promise<Harness> {
  return startHarness(
    PROVIDERS.map((name) => ({ name })),
    (mocks) => poolSpec(mocks, { spec: { breaker: { consecutiveFailures: 1 } } }),
  );
}

describe('a request’s own fault never counts against a provider', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPool();
  });
  afterAll(() => h.close());
  afterEach(() => {
    for (const mock of Object.values(h.mocks)) mock.resetStats();
  });

  it.each(CASES)('$name', async (c) => {
    // Four of them, as in the report that opened every breaker of the pool.
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${new URL(h.sidecar.url).origin}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: c.body,
      });
      expect(res.status).toBe(c.status);
      expect(errorMessage(c.shape, await res.json())).toMatch(c.message);
    }
    expectNoProviderBlamed(h);
    expect(await metricsText(h.sidecar)).not.toContain('switchboard_upstream_attempts_total{');
  });

  it('serves nesting within the limit', async () => {
    const res = await fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat(
        `"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":${nestedSchema(20)}}}`,
      ),
    });
    expect(res.status).toBe(200);
  });
});

/** A JSON schema of objects `depth` levels deep (each level adds two levels of JSON nesting). */
function nestedSchema(depth: number): string {
  let schema = '{"type":"string"}';
  for (let i = 0; i < depth; i++) schema = `{"type":"object","properties":{"p":${schema}}}`;
  return schema;
}

/** The adapter, with `buildRequest` throwing `error`; every other method is the adapter's own. */
function failingToBuild(adapter: ProviderAdapter, error: Error): ProviderAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'buildRequest') {
        return () => {
          throw error;
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const TRANSLATION_FAILURES: { name: string; error: Error; status: number; code: string }[] = [
  {
    name: 'a stack overflow while serializing is a 400 that counts against no provider',
    error: new RangeError('Maximum call stack size exceeded'),
    status: 400,
    code: 'request_not_translatable',
  },
  {
    name: 'a refusal by the adapter keeps its own 400 and counts against no provider',
    error: new InvalidRequestError('this dialect cannot express that'),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a bug in the adapter is a 500 that counts against no provider',
    error: new TypeError("Cannot read properties of undefined (reading 'map')"),
    status: 500,
    code: 'internal_error',
  },
];

describe('a request that makes translation throw', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPool();
  });
  afterAll(() => h.close());

  it.each(TRANSLATION_FAILURES)('$name', async ({ error, status, code }) => {
    const providers = [...h.sidecar.runtime().providers.values()];
    const originals = providers.map((p) => p.adapter);
    for (const p of providers) p.adapter = failingToBuild(p.adapter, error);
    try {
      const res = await fetch(`${h.sidecar.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chat('"stream":false'),
      });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
      // Not retried on the others: one attempt, and no provider got a byte.
      expect(res.headers.get('x-switchboard-attempts')).toBe('1');
      expectNoProviderBlamed(h);
      const metrics = await metricsText(h.sidecar);
      expect(metrics).not.toContain('switchboard_upstream_attempts_total{');
      expect(metrics).not.toContain('switchboard_retries_total{');
    } finally {
      providers.forEach((p, i) => {
        p.adapter = originals[i] ?? p.adapter;
      });
    }
  });
});
