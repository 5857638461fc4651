import { describe, expect, it } from '@jest/globals';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { SseParser } from '../core/sse/sse-parser.ts';
import { startMockProvider, type MockProvider } from './server.ts';
import { eventually, rejectionOf, withMockProvider } from './test-support.ts';

const chatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

function post(
  mock: MockProvider,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function statuses(mock: MockProvider, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const response = await post(mock, '/chat/completions', chatBody);
    await response.arrayBuffer();
    seen.push(response.status);
  }
  return seen;
}

/** Starts a streaming request with node:http and hands back the response without reading it. */
function openStream(mock: MockProvider): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${mock.url}/chat/completions`, { method: 'POST' }, resolve);
    req.on('error', reject);
    req.end(JSON.stringify({ ...chatBody, stream: true }));
  });
}

describe('mock provider server', () => {
  it('waits the configured latency before answering', async () => {
    await withMockProvider({ behaviour: { latencyMs: 150 } }, async (mock) => {
      const started = performance.now();
      const response = await post(mock, '/chat/completions', chatBody);
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
      expect(response.status).toBe(200);
    });
  });

  it('paces streamed events by the chunk interval', async () => {
    await withMockProvider({ behaviour: { streamChunks: 3, chunkIntervalMs: 40 } }, async (mock) => {
      const started = performance.now();
      const response = await post(mock, '/chat/completions', { ...chatBody, stream: true });
      const text = await response.text();
      // role + 3 pieces + finish + [DONE] = 6 events, so 5 pauses
      expect(performance.now() - started).toBeGreaterThanOrEqual(5 * 40 - 5);
      expect(new SseParser().feed(text)).toHaveLength(6);
    });
  });

  it('repeats the same fault pattern for the same seed', async () => {
    const pattern = (seed: number): Promise<number[]> =>
      withMockProvider({ seed, behaviour: { errorRate: 0.5 } }, (mock) => statuses(mock, 24));
    const first = await pattern(7);
    expect(await pattern(7)).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(500);
    expect(await pattern(8)).not.toEqual(first);
  });

  it('changes behaviour at runtime for the requests that follow', async () => {
    await withMockProvider({ behaviour: { errorRate: 1 } }, async (mock) => {
      expect(await statuses(mock, 2)).toEqual([500, 500]);
      mock.setBehaviour({ errorRate: 0 });
      expect(await statuses(mock, 2)).toEqual([200, 200]);
      expect(mock.stats.byStatus).toEqual({ 200: 2, 500: 2 });
    });
  });

  it('refuses an invalid behaviour change and keeps the old behaviour', async () => {
    await withMockProvider({}, async (mock) => {
      expect(() => mock.setBehaviour({ errorRate: 2 })).toThrow(RangeError);
      expect(mock.behaviour.errorRate).toBe(0);
    });
  });

  it('refuses an invalid starting behaviour', async () => {
    await expect(withMockProvider({ behaviour: { streamChunks: 0 } }, async () => undefined)).rejects.toThrow(
      RangeError,
    );
  });

  it('answers 404 in the dialect shape for an unknown path and counts it', async () => {
    await withMockProvider({}, async (mock) => {
      const response = await post(mock, '/chat/nothing', chatBody);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: {
          message: 'Invalid URL (POST /v1/chat/nothing)',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
      expect(mock.stats.byPath).toEqual({ '/v1/chat/nothing': 1 });
    });
  });

  it('answers 400 to malformed JSON and records the raw body', async () => {
    await withMockProvider({}, async (mock) => {
      const response = await post(mock, '/chat/completions', '{"model": ');
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: null } });
      expect(mock.stats.lastRequest?.body).toBe('{"model": ');
    });
  });

  it('answers 401 to a request without a key when a key is required', async () => {
    await withMockProvider({ apiKey: 'sk-right' }, async (mock) => {
      const response = await post(mock, '/chat/completions', chatBody);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        error: { type: 'invalid_request_error', code: 'invalid_api_key', param: null },
      });
      const accepted = await post(mock, '/chat/completions', chatBody, { authorization: 'Bearer sk-right' });
      expect(accepted.status).toBe(200);
    });
  });

  it('refuses a body over the size limit with 413', async () => {
    await withMockProvider({ maxBodyBytes: 1024 }, async (mock) => {
      const response = await post(mock, '/chat/completions', { ...chatBody, padding: 'x'.repeat(4096) });
      expect(response.status).toBe(413);
      expect(response.headers.get('connection')).toBe('close');
    });
  });

  it('cuts a stream before any event when asked to cut after zero', async () => {
    await withMockProvider({ behaviour: { cutStreamAfterChunks: 0 } }, async (mock) => {
      const response = await post(mock, '/chat/completions', { ...chatBody, stream: true });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      expect(mock.stats.streamsCut).toBe(1);
    });
  });

  it('counts requests in flight while they hang, and a close ends them', async () => {
    const mock = await startMockProvider({ behaviour: { hang: true } });
    const pending = rejectionOf(post(mock, '/chat/completions', chatBody));
    await eventually(() => mock.stats.inFlight === 1);
    const started = performance.now();
    await mock.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(mock.stats.clientAborts).toBe(0);
  });

  it('stops writing while the client does not read, and finishes when it reads again', async () => {
    const events = 256;
    const replyText = 'x'.repeat(events * 64 * 1024);
    await withMockProvider({ behaviour: { replyText, streamChunks: events } }, async (mock) => {
      const response = await openStream(mock);
      response.pause();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const writtenWhilePaused = mock.stats.sseEventsWritten;
      expect(writtenWhilePaused).toBeGreaterThan(0);
      expect(writtenWhilePaused).toBeLessThan(events / 2);

      const parser = new SseParser();
      let received = 0;
      let last = '';
      for await (const chunk of response) {
        for (const event of parser.feed(chunk as Buffer)) {
          received += 1;
          last = event.data;
        }
      }
      expect(parser.end().complete).toBe(true);
      expect(last).toBe('[DONE]');
      expect(received).toBe(events + 3);
      expect(mock.stats.streamsCompleted).toBe(1);
    });
  });

  it('resets its counters in place', async () => {
    await withMockProvider({}, async (mock) => {
      const stats = mock.stats;
      await statuses(mock, 1);
      mock.resetStats();
      expect(stats).toMatchObject({ requests: 0, byPath: {}, byStatus: {}, lastRequest: undefined });
    });
  });
});
