import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { CHAT, metricsText, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

const KEY = 'sk-proj-THIS-IS-THE-SECRET-9f8e7d6c5b4a';

describe('metrics, logs and secrets', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('exports requests, attempts, latency, time to first token, tokens, cost, breaker state and weights', async () => {
    h = await startHarness([{ name: 'alpha' }], (mocks) =>
      poolSpec(mocks, {
        providers: {
          alpha: {
            weight: 2.5,
            models: [
              {
                name: 'chat',
                model: 'gpt-4o-mini',
                pricing: { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 },
              },
            ],
          },
        },
      }),
    );
    await h.client.chat.completions.create(CHAT);
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    for await (const _chunk of stream) {
      // drain
    }
    await h.client.chat.completions.create({ ...CHAT, model: 'no-such-model' }).catch(() => undefined);
    const text = await metricsText(h.sidecar);
    const expected = [
      'switchboard_requests_total{provider="alpha",model="chat",status_class="2xx"} 2',
      'switchboard_requests_total{provider="none",model="unknown",status_class="4xx"} 1',
      'switchboard_upstream_attempts_total{provider="alpha",model="chat",status_class="2xx"} 2',
      'switchboard_request_duration_seconds_count{provider="alpha",model="chat"} 2',
      'switchboard_time_to_first_token_seconds_count{provider="alpha",model="chat"} 1',
      'switchboard_in_flight_requests{provider="alpha"} 0',
      'switchboard_breaker_state{provider="alpha",state="closed"} 1',
      'switchboard_breaker_state{provider="alpha",state="open"} 0',
      'switchboard_provider_weight{provider="alpha",model="chat"} 2.5',
    ];
    for (const line of expected) expect(text).toContain(line);
    const tokens = /switchboard_tokens_total\{provider="alpha",model="chat",direction="output"\} (\d+)/.exec(
      text,
    );
    expect(Number(tokens?.[1])).toBeGreaterThan(0);
    const cost = /switchboard_cost_usd_total\{provider="alpha",model="chat"\} ([\d.e-]+)/.exec(text);
    expect(Number(cost?.[1])).toBeGreaterThan(0);
    expect(text).toContain('# HELP switchboard_retries_total');
  });

  it('a scrape after N requests shows N, and the next scrape after M more shows N + M', async () => {
    h = await startHarness([{ name: 'alpha' }]);
    const counts = async (): Promise<number[]> => {
      const text = await metricsText(h.sidecar);
      return [
        /switchboard_requests_total\{provider="alpha",model="chat",status_class="2xx"\} (\d+)/,
        /switchboard_upstream_attempts_total\{provider="alpha",model="chat",status_class="2xx"\} (\d+)/,
        /switchboard_request_duration_seconds_count\{provider="alpha",model="chat"\} (\d+)/,
      ].map((pattern) => Number(pattern.exec(text)?.[1]));
    };
    await Promise.all(Array.from({ length: 7 }, () => h.client.chat.completions.create(CHAT)));
    expect(await counts()).toEqual([7, 7, 7]);
    expect(await counts()).toEqual([7, 7, 7]);
    await Promise.all(Array.from({ length: 5 }, () => h.client.chat.completions.create(CHAT)));
    expect(await counts()).toEqual([12, 12, 12]);
  });

  it('writes one JSON log line per event, each request-scoped line with its request id', async () => {
    h = await startHarness([{ name: 'alpha' }]);
    await h.client.chat.completions.create(CHAT, { headers: { 'x-request-id': 'req-42' } });
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const served = lines.find((l) => l.msg === 'request served');
    expect(served).toMatchObject({
      level: 'info',
      requestId: 'req-42',
      provider: 'alpha',
      attempts: 1,
      model: 'chat',
    });
    expect(typeof served?.time).toBe('string');
  });

  it('never shows an API key in answers, logs or metrics, even when the provider rejects it', async () => {
    h = await startHarness(
      [{ name: 'strict', apiKey: 'sk-some-other-key' }],
      (mocks) => poolSpec(mocks, { providers: { strict: { apiKey: { env: 'STRICT_KEY' } } } }),
      { secrets: { env: { STRICT_KEY: KEY } } },
    );
    const err = await h.client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiError = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(502); // the pool's credential is wrong, not the app's request
    expect(apiError.message).toContain('provider strict answered HTTP 401');
    const everything = [
      apiError.message,
      JSON.stringify(apiError.error),
      ...h.logs,
      await metricsText(h.sidecar),
    ].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(KEY.slice(-8));
    // the runtime's own view of the key is redacted when printed or serialized
    const provider = h.sidecar.runtime().providers.get('strict');
    expect(JSON.stringify(provider?.apiKey)).toBe('"[redacted]"');
    expect(String(provider?.apiKey)).toBe('[redacted]');
  });
});
