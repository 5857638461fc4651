/**
 * A 429 cools a provider down for its Retry-After, not for the rate-limit window its reset headers describe:
 * real sockets and real mock providers in each dialect that announces budgets, the sidecar in virtual time.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../core/clock.ts';
import type { MockProvider } from '../../mock-provider/server.ts';
import { CHAT, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

const KEY = 'sk-test-rate-limit-key-0123456789';

interface Case {
  readonly name: string;
  readonly dialect: 'openai' | 'azure-openai' | 'anthropic';
  readonly provider: (mock: MockProvider) => Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: 'OpenAI: a 429 with Retry-After 2 and x-ratelimit-reset-requests 60s holds the provider for about 2 s',
    dialect: 'openai',
    provider: () => ({ apiKey: { env: 'KEY' } }),
  },
  {
    name: 'Azure OpenAI: a 429 with Retry-After 2 and a 60 s reset in seconds holds the provider for about 2 s',
    dialect: 'azure-openai',
    provider: (m) => ({ baseURL: m.origin, apiKey: { env: 'KEY' } }),
  },
  {
    name: 'Anthropic: a 429 with retry-after 2 and a reset a minute ahead (RFC 3339) holds the provider for about 2 s',
    dialect: 'anthropic',
    provider: () => ({
      apiKey: { env: 'KEY' },
      models: [{ name: 'chat', model: 'claude-haiku-4-5', maxOutputTokens: 300 }],
    }),
  },
];

async function status(h: Harness): Promise<{ status: number; provider: string | null }> {
  const res = await fetch(`${h.sidecar.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(CHAT),
  });
  await res.arrayBuffer();
  return { status: res.status, provider: res.headers.get('x-switchboard-provider') };
}

describe('a 429 cools a provider down for Retry-After, not for its rate-limit window', () => {
  let h: Harness;
  afterEach(() => h.close());

  it.each(CASES)('$name', async ({ dialect, provider }) => {
    // Virtual time for the sidecar, aligned with the wall clock the mock stamps its reset times with.
    const clock = new ManualClock(Date.now());
    h = await startHarness(
      [{ name: 'only', dialect, apiKey: KEY }, { name: 'spare' }],
      (mocks) =>
        poolSpec(mocks, {
          spec: { retry: { attempts: 0 } },
          // A worse tier that serves only while "only" is blocked: the cool-down shows as who answers.
          providers: {
            only: { type: dialect, ...provider(mocks.only as MockProvider) },
            spare: { priority: 1 },
          },
        }),
      { clock, secrets: { env: { KEY } } },
    );
    const mock = h.mocks.only as MockProvider;
    expect(await status(h)).toEqual({ status: 200, provider: 'only' }); // opens the mock's one-minute window

    mock.setBehaviour({ rateLimitRate: 1, retryAfterS: 2 }); // 429, Retry-After 2, 0 left until the window ends
    expect((await status(h)).status).toBe(429);
    mock.setBehaviour({ rateLimitRate: 0 });

    clock.advance(1_000);
    expect(await status(h)).toEqual({ status: 200, provider: 'spare' }); // still cooling down: not asked
    expect(mock.stats.requests).toBe(2);

    clock.advance(1_500);
    expect(await status(h)).toEqual({ status: 200, provider: 'only' }); // back after ~2 s, not ~60 s
  });
});
