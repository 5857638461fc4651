import { describe, expect, it } from '@jest/globals';
import { SseParser } from '../core/sse/sse-parser.ts';
import { streamingChat, withMockProvider } from './test-support.ts';

const MESSAGE = 'upstream failed while answering';

interface Case {
  name: string;
  dialect: string;
  /** Path and query below the origin. */
  path: string;
  headers?: Record<string, string>;
  body: unknown;
  /** The error event's SSE event name, when the API names it. */
  event?: string;
  /** The error body the API sends, with MESSAGE in it. */
  data: unknown;
}

const CASES: Case[] = [
  {
    name: 'OpenAI ends a failed stream with a data event carrying the error envelope',
    dialect: 'openai',
    path: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
    data: { error: { message: MESSAGE, type: 'server_error', param: null, code: null } },
  },
  {
    name: 'Azure OpenAI ends a failed stream as OpenAI does',
    dialect: 'azure-openai',
    path: '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21',
    body: { stream: true, messages: [{ role: 'user', content: 'hi' }] },
    data: { error: { message: MESSAGE, type: 'server_error', param: null, code: null } },
  },
  {
    name: 'Anthropic ends a failed stream with an error event',
    dialect: 'anthropic',
    path: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    body: {
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    },
    event: 'error',
    data: { type: 'error', error: { type: 'api_error', message: MESSAGE } },
  },
  {
    name: 'Gemini ends a failed stream with an event carrying the Google error body',
    dialect: 'gemini',
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
    data: { error: { code: 500, message: MESSAGE, status: 'INTERNAL' } },
  },
];

describe('a mock provider fails a stream the way its API does', () => {
  it.each(CASES)('$name', async (c) => {
    const behaviour = { streamErrorAfterEvents: 2, errorMessage: MESSAGE };
    await withMockProvider({ dialect: c.dialect, behaviour }, async (mock) => {
      const response = await fetch(`${mock.origin}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...c.headers },
        body: JSON.stringify(c.body),
      });
      expect(response.status).toBe(200);
      const events = new SseParser().feed(await response.text());
      expect(events).toHaveLength(3);
      const last = events[2];
      expect(last?.event).toBe(c.event);
      expect(JSON.parse(last?.data ?? '')).toEqual(c.data);
    });
  });

  it('cuts only the given share of streams', async () => {
    const behaviour = { cutStreamAfterChunks: 2, cutStreamRate: 0.5 };
    await withMockProvider({ seed: 7, behaviour }, async (mock) => {
      const outcomes = [];
      for (let i = 0; i < 40; i += 1) {
        const response = await fetch(`${mock.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(CASES[0]?.body),
        });
        outcomes.push(
          await response.text().then(
            () => 'complete',
            () => 'cut',
          ),
        );
      }
      expect(mock.stats.streamsCut).toBe(outcomes.filter((o) => o === 'cut').length);
      expect(mock.stats.streamsCut).toBeGreaterThan(5);
      expect(mock.stats.streamsCompleted).toBeGreaterThan(5);
    });
  });
});

describe('a stalled stream', () => {
  it('stops after stallStreamAfterChunks events and keeps the connection open until the client leaves', async () => {
    await withMockProvider({ behaviour: { stallStreamAfterChunks: 2 } }, async (mock) => {
      const abort = new AbortController();
      const res = await streamingChat(mock.url, abort.signal);
      const reader = res.body!.getReader();
      const parser = new SseParser();
      let events = 0;
      while (events < 2) {
        const { value } = await reader.read();
        events += parser.feed(value!).length;
      }
      // Nothing more comes while the connection stays open.
      const next = await Promise.race([
        reader.read().then(() => 'more'),
        new Promise((resolve) => setTimeout(() => resolve('quiet'), 200)),
      ]);
      expect([events, next, mock.stats.sseEventsWritten, mock.stats.inFlight]).toEqual([2, 'quiet', 2, 1]);
      abort.abort();
    });
  });
});
