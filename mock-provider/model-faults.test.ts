import { describe, expect, it } from '@jest/globals';
import { SseParser } from '../core/sse/sse-parser.ts';
import { streamingChat, withMockProvider } from './test-support.ts';

const LONG = 'x'.repeat(4_000); // 1000 tokens at the mock's 4 characters a token; the role "user" adds one

interface WindowCase {
  name: string;
  dialect: string;
  path: string;
  headers?: Record<string, string>;
  body: unknown;
  status: number;
  error: unknown;
}

const WINDOW_CASES: WindowCase[] = [
  {
    name: 'OpenAI refuses a prompt longer than the window with 400 context_length_exceeded',
    dialect: 'openai',
    path: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: LONG }] },
    status: 400,
    error: {
      error: expect.objectContaining({
        code: 'context_length_exceeded',
        type: 'invalid_request_error',
        message: expect.stringMatching(
          /maximum context length is 500 tokens\. However, you requested 1101 tokens/,
        ),
      }),
    },
  },
  {
    name: 'Anthropic refuses it with 400 invalid_request_error "prompt is too long"',
    dialect: 'anthropic',
    path: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    body: { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: LONG }] },
    status: 400,
    error: {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'prompt is too long: 1101 tokens > 500 maximum' },
    },
  },
  {
    name: 'Gemini refuses it with 400 INVALID_ARGUMENT naming the input token count',
    dialect: 'gemini',
    path: '/v1beta/models/gemini-2.5-flash:generateContent',
    body: { contents: [{ role: 'user', parts: [{ text: LONG }] }] },
    status: 400,
    error: {
      error: {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: 'The input token count (1001) exceeds the maximum number of tokens allowed (500).',
      },
    },
  },
];

describe('a mock provider with faults scoped to models and a context window', () => {
  it.each(WINDOW_CASES)('$name', async (c) => {
    await withMockProvider({ dialect: c.dialect, behaviour: { contextWindow: 500 } }, async (mock) => {
      const response = await fetch(`${mock.origin}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...c.headers },
        body: JSON.stringify(c.body),
      });
      expect(response.status).toBe(c.status);
      expect(await response.json()).toEqual(c.error);
    });
  });

  it('answers a prompt that fits the window', async () => {
    await withMockProvider({ behaviour: { contextWindow: 500 } }, async (mock) => {
      const response = await fetch(`${mock.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
    });
  });

  it('rate-limits only the models faultModels names', async () => {
    const behaviour = { rateLimitRate: 1, faultModels: ['model-a'] };
    await withMockProvider({ models: ['model-a', 'model-b'], behaviour }, async (mock) => {
      const ask = async (model: string) =>
        (
          await fetch(`${mock.url}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
          })
        ).status;
      expect([await ask('model-a'), await ask('model-b'), await ask('model-a')]).toEqual([429, 200, 429]);
    });
  });

  it('ends a stream with OpenAI’s insufficient_quota error event when streamErrorKind says so', async () => {
    const behaviour = { streamErrorAfterEvents: 1, streamErrorKind: 'insufficient-quota' as const };
    await withMockProvider({ behaviour }, async (mock) => {
      const response = await streamingChat(mock.url);
      expect(response.status).toBe(200);
      const events = new SseParser().feed(await response.text());
      expect(events).toHaveLength(2);
      expect(JSON.parse(events[1]?.data ?? '')).toEqual({
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          param: null,
          code: 'insufficient_quota',
        },
      });
    });
  });
});
