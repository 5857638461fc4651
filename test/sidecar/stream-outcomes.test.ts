/**
 * How a stream's end is judged, on real sockets with the official OpenAI SDK: a clean end after the finish reason
 * is a complete answer in every dialect; an in-stream error before the answer starts is a failed attempt retried
 * elsewhere, and after it the one error event the client sees; a first token that comes too late is a timeout.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { as, DIALECTS } from '../support/dialects.ts';
import { CHAT, metricsText, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

async function rawStream(h: Harness): Promise<{ text: string; headers: Headers }> {
  const res = await fetch(`${h.sidecar.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...CHAT, stream: true }),
  });
  return { text: await res.text(), headers: res.headers };
}

async function streamedText(
  h: Harness,
): Promise<{ text: string; provider: string | null; attempts: string | null }> {
  const { data, response } = await h.client.chat.completions.create({ ...CHAT, stream: true }).withResponse();
  let text = '';
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  return {
    text,
    provider: response.headers.get('x-switchboard-provider'),
    attempts: response.headers.get('x-switchboard-attempts'),
  };
}

describe('how a stream’s end is judged', () => {
  let h: Harness;
  afterEach(() => h.close());

  it.each(['openai', 'compatible', 'azure', 'anthropic'])(
    '%s: a stream that ends cleanly after its finish reason but without its end marker is a complete answer and a success',
    async (name) => {
      const dialect = DIALECTS[name]!;
      h = await startHarness(
        [
          {
            name: 'terse',
            dialect: dialect.mock,
            behaviour: { omitStreamEnd: true, replyText: 'all of it' },
          },
        ],
        (mocks) =>
          poolSpec(mocks, {
            spec: { breaker: { consecutiveFailures: 5 } },
            providers: { terse: as(dialect, mocks.terse) },
          }),
      );
      for (let i = 0; i < 6; i++) {
        const served = await streamedText(h);
        expect(served).toEqual({
          text: expect.stringContaining('all of it'),
          provider: 'terse',
          attempts: '1',
        });
      }
      const raw = await rawStream(h);
      expect(raw.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(raw.text).not.toContain('"error"');
      const metrics = await metricsText(h.sidecar);
      expect(metrics).toContain(
        'switchboard_upstream_attempts_total{provider="terse",model="chat",status_class="2xx"} 7',
      );
      expect(metrics).toContain('switchboard_breaker_state{provider="terse",state="closed"} 1');
    },
  );

  it('an app on the Anthropic API gets message_stop after a stream that ended without [DONE]', async () => {
    h = await startHarness([{ name: 'terse', behaviour: { omitStreamEnd: true } }]);
    const res = await fetch(`${h.sidecar.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'chat',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const text = await res.text();
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(events.at(-1)).toBe('message_stop');
    expect(events).not.toContain('error');
  });

  it.each([
    { name: 'an OpenAI error frame as the first event', dialect: 'openai', after: 0 },
    { name: 'an OpenAI error frame after the role-only opener', dialect: 'openai', after: 1 },
    { name: 'an OpenAI-compatible error frame after the role-only opener', dialect: 'compatible', after: 1 },
    { name: 'an Azure error frame after the role-only opener', dialect: 'azure', after: 1 },
    { name: 'an Anthropic overloaded error event after message_start', dialect: 'anthropic', after: 1 },
    { name: 'a Gemini stream error as the first event', dialect: 'gemini', after: 0 },
  ])('$name fails the attempt and the request is served by another provider', async ({ dialect, after }) => {
    const d = DIALECTS[dialect]!;
    h = await startHarness(
      [
        { name: 'erring', dialect: d.mock, behaviour: { streamErrorAfterEvents: after } },
        { name: 'other', behaviour: { replyText: 'from other' } },
      ],
      (mocks) =>
        poolSpec(mocks, {
          spec: { strategy: { type: 'weighted-round-robin' } },
          providers: { erring: { ...as(d, mocks.erring), weight: 1000 } },
        }),
    );
    const served = await streamedText(h);
    expect(served).toEqual({ text: 'from other', provider: 'other', attempts: '2' });
    const metrics = await metricsText(h.sidecar);
    expect(metrics).toMatch(/switchboard_retries_total\{provider="erring",reason="[^"]+"\} 1/);
  });

  it('an error frame after content ends the stream with one error event, the provider’s', async () => {
    h = await startHarness(
      [{ name: 'erring', behaviour: { streamErrorAfterEvents: 4, chunkIntervalMs: 10 } }, { name: 'other' }],
      (mocks) => poolSpec(mocks, { providers: { erring: { weight: 1000 } } }),
    );
    const raw = await rawStream(h);
    const errors = raw.text.split('\n\n').filter((frame) => frame.includes('"error"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('provider erring');
    expect(raw.text).not.toContain('[DONE]');
    expect(raw.headers.get('x-switchboard-provider')).toBe('erring');

    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    const err = await (async () => {
      for await (const _chunk of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });

  it.each([
    { name: 'the pool’s first-token deadline', spec: { timeouts: { firstTokenMs: 300 } }, provider: {} },
    {
      name: 'a provider’s own first-token deadline',
      spec: {},
      provider: { timeouts: { firstTokenMs: 300 } },
    },
  ])(
    'a stream whose first token misses $name is abandoned and served elsewhere',
    async ({ spec, provider }) => {
      h = await startHarness(
        // The opener comes at once, the content only after 30 s: headers alone do not beat the deadline.
        [{ name: 'sluggish', behaviour: { chunkIntervalMs: 30_000 } }, { name: 'other' }],
        (mocks) => poolSpec(mocks, { spec, providers: { sluggish: { weight: 1000, ...provider } } }),
      );
      const served = await streamedText(h);
      expect([served.provider, served.attempts]).toEqual(['other', '2']);
      const metrics = await metricsText(h.sidecar);
      expect(metrics).toContain('switchboard_retries_total{provider="sluggish",reason="upstream_timeout"} 1');
      expect(metrics).toContain(
        'switchboard_upstream_attempts_total{provider="sluggish",model="chat",status_class="error"} 1',
      );
    },
  );
});
