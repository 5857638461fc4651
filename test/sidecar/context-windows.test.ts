/**
 * Context windows on real sockets with the official OpenAI SDK: a request too long for a target's declared window
 * is never sent to it; one too long for every target of its model goes to a fallback model; a provider's own
 * context-length error moves the request on without counting against the provider (in each dialect); and a request
 * nothing can hold gets a 400 context_length_exceeded, before any provider is called when the windows say so.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { as, DIALECTS } from '../support/dialects.ts';
import { startHarness, type Harness } from '../support/sidecar-harness.ts';

const SHORT = 'Say hello.';
/** 40 000 characters: at least 7 500 tokens by the sidecar's low estimate, 10 000 by the mock's count. */
const LONG = 'lorem ipsum '.repeat(3_334).slice(0, 40_000);
/** Too long for every window below, by the low estimate too (187 500 tokens). */
const HUGE = 'x'.repeat(1_000_000);

async function ask(h: Harness, model: string, content: string) {
  const { data, response } = await h.client.chat.completions
    .create({ model, max_tokens: 100, messages: [{ role: 'user', content }] })
    .withResponse();
  return {
    provider: response.headers.get('x-switchboard-provider'),
    attempts: response.headers.get('x-switchboard-attempts'),
    text: data.choices[0]?.message.content ?? '',
  };
}

async function refusal(h: Harness, model: string, content: string) {
  const err = await h.client.chat.completions
    .create({ model, max_tokens: 100, messages: [{ role: 'user', content }] })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  return err as InstanceType<typeof OpenAI.BadRequestError>;
}

describe('routing by context window', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** "small" (4k window, preferred) and "large" (128k) serve "chat"; "mini" is small's only, falling back to "big". */
  async function declared(): Promise<Harness> {
    return startHarness([{ name: 'small' }, { name: 'large' }], (mocks) => ({
      retry: { attempts: 2 },
      breaker: { consecutiveFailures: 1 },
      models: [{ name: 'mini', fallbacks: ['big'] }],
      providers: [
        {
          name: 'small',
          type: 'openai',
          baseURL: mocks.small?.url,
          priority: 0,
          models: [
            { name: 'chat', model: 'small-chat', contextWindow: 4_000 },
            { name: 'mini', model: 'small-mini', contextWindow: 4_000 },
          ],
        },
        {
          name: 'large',
          type: 'openai',
          baseURL: mocks.large?.url,
          priority: 1,
          models: [
            { name: 'chat', model: 'large-chat', contextWindow: 128_000 },
            { name: 'big', model: 'large-big', contextWindow: 128_000 },
          ],
        },
      ],
    }));
  }

  it('sends a short prompt to the preferred small window and a long one past it to the large one', async () => {
    h = await declared();
    expect((await ask(h, 'chat', SHORT)).provider).toBe('small');
    const long = await ask(h, 'chat', LONG);
    expect(long).toMatchObject({ provider: 'large', attempts: '1' });
    expect(long.text.length).toBeGreaterThan(0);
    expect(h.mocks.small?.stats.requests).toBe(1); // only the short one
  });

  it('sends a prompt too long for every target of its model to its fallback model', async () => {
    h = await declared();
    expect((await ask(h, 'mini', SHORT)).provider).toBe('small');
    expect(await ask(h, 'mini', LONG)).toMatchObject({ provider: 'large', attempts: '1' });
    const body = h.mocks.large?.stats.lastRequest?.body as { model?: string } | undefined;
    expect(body?.model).toBe('large-big');
    expect(h.mocks.small?.stats.requests).toBe(1);
  });

  it('answers 400 context_length_exceeded without calling any provider when no window can hold the request', async () => {
    h = await declared();
    const err = await refusal(h, 'mini', HUGE);
    expect(err.status).toBe(400);
    expect(err.code).toBe('context_length_exceeded');
    expect(err.message).toMatch(/largest context window \(128000 tokens\)/);
    expect((h.mocks.small?.stats.requests ?? 0) + (h.mocks.large?.stats.requests ?? 0)).toBe(0);
  });

  it('answers an app speaking Anthropic’s API in its own error shape when no window can hold the request', async () => {
    h = await declared();
    const client = new Anthropic({ baseURL: new URL(h.sidecar.url).origin, apiKey: 'unused', maxRetries: 0 });
    const err = await client.messages
      .create({ model: 'chat', max_tokens: 100, messages: [{ role: 'user', content: HUGE }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const error = (err as InstanceType<typeof Anthropic.BadRequestError>).error as {
      type?: string;
      error?: { type?: string; message?: string };
    };
    expect(error.type).toBe('error');
    expect(error.error?.type).toBe('invalid_request_error');
    expect(error.error?.message).toMatch(/more than the largest context window/);
    expect((h.mocks.small?.stats.requests ?? 0) + (h.mocks.large?.stats.requests ?? 0)).toBe(0);
  });

  // Windows not declared in the pool: only the provider's own error tells, each in its dialect.
  it.each(['openai', 'azure', 'anthropic', 'gemini'])(
    '%s: a provider’s context-length 400 moves the request to another target and does not open its breaker',
    async (name) => {
      const dialect = DIALECTS[name]!;
      h = await startHarness(
        [
          { name: 'small', dialect: dialect.mock, behaviour: { contextWindow: 4_000 } },
          { name: 'large', behaviour: { contextWindow: 128_000 } },
        ],
        (mocks) => ({
          retry: { attempts: 0 }, // the move is not a retry: it needs none of the retry allowance
          breaker: { consecutiveFailures: 1 },
          providers: [
            { name: 'small', priority: 0, ...as(dialect, mocks.small) },
            {
              name: 'large',
              type: 'openai',
              baseURL: mocks.large?.url,
              priority: 1,
              models: [{ name: 'chat', model: 'gpt-4o-mini' }],
            },
          ],
        }),
        { secrets: { env: { AZURE_KEY: 'k', CLAUDE_KEY: 'k' } } },
      );
      const long = await ask(h, 'chat', LONG);
      expect(long).toMatchObject({ provider: 'large', attempts: '2' });
      expect(h.mocks.small?.stats.byStatus).toEqual({ 400: 1 });
      const small = h.sidecar.runtime().providers.get('small');
      const now = Date.now();
      expect([small?.breaker.state(now), small?.targets.get('chat')?.breaker.state(now)]).toEqual([
        'closed',
        'closed',
      ]);
      // Still in rotation for what fits.
      expect((await ask(h, 'chat', SHORT)).provider).toBe('small');
    },
  );

  it('moves a request whose model’s only provider says it is too long to the fallback model', async () => {
    h = await startHarness(
      [{ name: 'small', behaviour: { contextWindow: 4_000 } }, { name: 'large' }],
      (mocks) => ({
        retry: { attempts: 0 },
        models: [{ name: 'mini', fallbacks: ['big'] }],
        providers: [
          {
            name: 'small',
            type: 'openai',
            baseURL: mocks.small?.url,
            models: [{ name: 'mini', model: 'small-mini' }],
          },
          {
            name: 'large',
            type: 'openai',
            baseURL: mocks.large?.url,
            models: [{ name: 'big', model: 'large-big' }],
          },
        ],
      }),
    );
    expect(await ask(h, 'mini', LONG)).toMatchObject({ provider: 'large', attempts: '2' });
    expect((h.mocks.large?.stats.lastRequest?.body as { model?: string } | undefined)?.model).toBe(
      'large-big',
    );
    expect(h.mocks.small?.stats.byStatus).toEqual({ 400: 1 });
  });

  it('answers 400 context_length_exceeded when every provider said the request is too long', async () => {
    h = await startHarness(
      [
        { name: 'one', behaviour: { contextWindow: 4_000 } },
        { name: 'two', behaviour: { contextWindow: 4_000 } },
      ],
      (mocks) => ({
        breaker: { consecutiveFailures: 1 },
        providers: ['one', 'two'].map((name) => ({
          name,
          type: 'openai',
          baseURL: mocks[name]?.url,
          models: [{ name: 'chat', model: 'gpt-4o-mini' }],
        })),
      }),
    );
    const err = await refusal(h, 'chat', LONG);
    expect(err.code).toBe('context_length_exceeded');
    expect(err.message).toMatch(/too long for every provider of model "chat"/);
    expect([h.mocks.one?.stats.requests, h.mocks.two?.stats.requests]).toEqual([1, 1]);
    const now = Date.now();
    for (const p of h.sidecar.runtime().providers.values()) expect(p.breaker.state(now)).toBe('closed');
  });
});
