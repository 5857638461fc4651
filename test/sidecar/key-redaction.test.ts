/**
 * A key canary: mocks of every dialect quote the key the sidecar presented (as sent, upper-cased, masked, or a
 * fragment) in error answers and in their streams' error events; no form of it may reach the app, the sidecar's
 * log lines or its metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import { KEY_ECHOES, type KeyEcho } from '../../mock-provider/key-echo.ts';
import type { MockProvider } from '../../mock-provider/server.ts';
import { REDACTED } from '../../sidecar/core/secret.ts';
import { keySightings } from '../support/key-canary.ts';
import { CHAT, metricsText, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

const KEY = 'sk-SECRETKEY-q7z9w3x5v1b8n2m4';

interface Dialect {
  readonly type: string;
  readonly mock: string;
  readonly baseURL: (mock: MockProvider) => string;
}

const DIALECTS: Dialect[] = [
  { type: 'openai', mock: 'openai', baseURL: (m) => m.url },
  { type: 'openai-compatible', mock: 'openai', baseURL: (m) => m.url },
  { type: 'azure-openai', mock: 'azure-openai', baseURL: (m) => m.origin },
  { type: 'anthropic', mock: 'anthropic', baseURL: (m) => m.url },
  { type: 'gemini', mock: 'gemini', baseURL: (m) => m.url },
];

interface FailurePath {
  readonly name: string;
  readonly behaviour: Partial<MockBehaviour>;
  readonly stream: boolean;
  /** Content reached the app before the error: only a passed-through error frame carries provider text then. */
  readonly afterContent: boolean;
}

const PATHS: FailurePath[] = [
  { name: 'an error answer', behaviour: { errorRate: 1 }, stream: false, afterContent: false },
  {
    name: 'a stream whose first event is an error',
    behaviour: { streamErrorAfterEvents: 0 },
    stream: true,
    afterContent: false,
  },
  {
    name: 'a stream that fails after content',
    // Paced, so the content goes out before the error arrives.
    behaviour: { streamErrorAfterEvents: 5, chunkIntervalMs: 20 },
    stream: true,
    afterContent: true,
  },
];

const CASES = PATHS.flatMap((path) => KEY_ECHOES.map((echo: KeyEcho) => ({ path, echo })));

describe.each(DIALECTS)('a $type provider that quotes the pool’s key', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      [{ name: 'leaky', dialect: dialect.mock, apiKey: KEY }],
      (mocks) =>
        poolSpec(mocks, {
          spec: {
            retry: { attempts: 1 },
            breaker: { consecutiveFailures: 1_000_000, minRequests: 1_000_000 },
          },
          providers: {
            leaky: {
              type: dialect.type,
              baseURL: mocks.leaky ? dialect.baseURL(mocks.leaky) : '',
              apiKey: { env: 'LEAKY_KEY' },
            },
          },
        }),
      { secrets: { env: { LEAKY_KEY: KEY } } },
    );
  });
  afterAll(() => h.close());

  it.each(CASES)('shows no part of it after $path.name quoting it $echo', async ({ path, echo }) => {
    h.mocks.leaky?.setBehaviour({
      errorRate: 0,
      streamErrorAfterEvents: null,
      chunkIntervalMs: 0,
      ...path.behaviour,
      echoKey: echo,
    });
    const logsBefore = h.logs.length;
    const res = await fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...CHAT, stream: path.stream }),
    });
    const seen = await res.text();

    expect(seen).toContain('error');
    // Before content the provider's error is the answer; after it, the one error event that ends the stream.
    expect(seen.includes(REDACTED)).toBe(true);
    expect(keySightings(seen, KEY)).toEqual([]);
    expect(keySightings(h.logs.slice(logsBefore).join('\n'), KEY)).toEqual([]);
    expect(keySightings(await metricsText(h.sidecar), KEY)).toEqual([]);
  });
});
