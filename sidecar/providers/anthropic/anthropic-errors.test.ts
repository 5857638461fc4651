import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AnthropicAdapter } from './anthropic-adapter.ts';

const adapter = new AnthropicAdapter();

function fixtureText(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

function body(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

describe('reading Anthropic error bodies', () => {
  it('reads the message, uses the error type as the code and stands overload (529) for 503', () => {
    expect(adapter.parseError(529, fixtureText('error-overloaded.json'))).toEqual({
      message: 'Overloaded',
      code: 'overloaded_error',
      status: 503,
    });
  });

  it.each([
    ['a used-up credit balance (answered 400)', 400, fixtureText('error-credit-balance.json')],
    ['a billing error', 402, body('billing_error', 'Your account has a billing problem.')],
  ])(
    'says the quota is exhausted for %s, standing for a 429 as OpenAI’s insufficient_quota',
    (_name, status, text) => {
      expect(adapter.parseError(status, text)).toMatchObject({ quotaExhausted: true, status: 429 });
    },
  );

  it.each([
    [400, 'invalid_request_error', 'max_tokens: Field required'],
    [401, 'authentication_error', 'invalid x-api-key'],
    [403, 'permission_error', 'Your API key does not have permission to use the specified resource.'],
    [404, 'not_found_error', 'model: claude-nope'],
    [413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
    [500, 'api_error', 'Internal server error'],
  ])('passes on HTTP %i %s as a plain error', (status, type, message) => {
    expect(adapter.parseError(status, body(type, message))).toEqual({ message, code: type });
  });

  it('copes with a body that is not JSON, such as a CDN’s HTML page', () => {
    expect(adapter.parseError(413, '<html>413 Request Entity Too Large</html>')).toEqual({
      message: 'upstream answered HTTP 413',
      code: null,
    });
  });
});

describe('reading Anthropic rate-limit headers', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const headers = (values: Record<string, string>) => (name: string) => values[name];

  it('reads the request and token budgets with their RFC 3339 resets', () => {
    const snapshot = adapter.readRateLimits(
      headers({
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2025-06-01T12:00:01Z',
        'anthropic-ratelimit-tokens-limit': '40000',
        'anthropic-ratelimit-tokens-remaining': '39000',
        'anthropic-ratelimit-tokens-reset': '2025-06-01T12:00:30Z',
      }),
      now,
    );
    expect(snapshot).toEqual({
      requests: { limit: 50, remaining: 49, fullAt: now + 1000 },
      tokens: { limit: 40000, remaining: 39000, fullAt: now + 30_000 },
    });
  });

  it('takes the scarcer of the input and output budgets when no combined token budget is announced', () => {
    const snapshot = adapter.readRateLimits(
      headers({
        'anthropic-ratelimit-input-tokens-limit': '40000',
        'anthropic-ratelimit-input-tokens-remaining': '30000',
        'anthropic-ratelimit-output-tokens-limit': '8000',
        'anthropic-ratelimit-output-tokens-remaining': '400',
        'anthropic-ratelimit-output-tokens-reset': '2025-06-01T12:00:05Z',
      }),
      now,
    );
    expect(snapshot).toEqual({ tokens: { limit: 8000, remaining: 400, fullAt: now + 5000 } });
  });

  it('leaves a reset it cannot read undefined', () => {
    const snapshot = adapter.readRateLimits(
      headers({
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': 'soon',
      }),
      now,
    );
    expect(snapshot).toEqual({ requests: { remaining: 0, limit: undefined, fullAt: undefined } });
  });

  it('says nothing when no rate-limit header is present', () => {
    expect(adapter.readRateLimits(headers({ 'retry-after': '3' }), now)).toBeUndefined();
  });
});
