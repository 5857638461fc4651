/**
 * A request refused before its body was read (too large, not JSON) still gets its answer to the client: the sidecar
 * answers, drains the rest of the upload within bounds, then closes. Real sockets, fetch and the OpenAI SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import OpenAI from 'openai';
import { poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { openRaw, parseRawResponse } from '../support/raw-http.ts';

/** Large enough that 3× the limit cannot hide in the kernel's socket buffers, where a reset would not show. */
const LIMIT = 4 * 1024 * 1024;
const REPEAT = 4;

/** A chat request whose JSON is `bytes` long. */
function chatOfSize(bytes: number): string {
  const shell = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: '' }] });
  return JSON.stringify({
    model: 'chat',
    messages: [{ role: 'user', content: 'x'.repeat(bytes - shell.length) }],
  });
}

/**
 * The same bytes as a stream, so fetch sends them chunked (without a Content-Length), paced so that most of the
 * body is still to come when the sidecar refuses it.
 */
function pacedStreamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    async pull(controller) {
      if (at >= bytes.length) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 2));
      controller.enqueue(bytes.subarray(at, at + LIMIT / 8));
      at += LIMIT / 8;
    },
  });
}

interface ErrorBody {
  error: { message: string; type: string; code: string };
}

describe('a refused upload: the client sees the answer, not a reset', () => {
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await startHarness([{ name: 'only' }], (mocks) =>
      poolSpec(mocks, { spec: { limits: { maxRequestBodyBytes: LIMIT } } }),
    );
    url = `${h.sidecar.url}/chat/completions`;
  });
  afterAll(() => h.close());

  const CASES = [
    {
      name: 'a body of 3× the limit with a Content-Length is a 413, every time',
      send: () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: chatOfSize(3 * LIMIT),
        }),
      status: 413,
      code: 'request_too_large',
    },
    {
      name: 'a chunked body of 3× the limit, still arriving when refused, is a 413, every time',
      send: () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: pacedStreamOf(chatOfSize(3 * LIMIT)),
          duplex: 'half',
        } as RequestInit),
      status: 413,
      code: 'request_too_large',
    },
    {
      name: 'a large body labelled text/plain is a 415, every time',
      send: () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: chatOfSize(LIMIT / 2),
        }),
      status: 415,
      code: 'unsupported_media_type',
    },
  ];

  it.each(CASES)('$name', async ({ send, status, code }) => {
    for (let i = 0; i < REPEAT; i++) {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers.get('connection')).toBe('close');
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code });
    }
    expect(h.mocks.only?.stats.requests ?? 0).toBe(0);
  });

  it.each([
    { name: 'with a Content-Length', framing: 'content-length' as const },
    { name: 'chunked', framing: 'chunked' as const },
  ])(
    'a client that reads only once its whole body is sent (as blocking HTTP clients do) sees the 413, $name',
    async ({ framing }) => {
      for (let i = 0; i < REPEAT; i++) {
        const conn = await openRaw(h.sidecar.port);
        conn.socket.pause(); // nothing is read until the upload is done
        const body = chatOfSize(3 * LIMIT);
        const head =
          framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${Buffer.byteLength(body)}`;
        const payload = framing === 'chunked' ? `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` : body;
        await new Promise<void>((resolve) => {
          conn.socket.write(
            `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${head}\r\n\r\n${payload}`,
            () => resolve(),
          );
          conn.socket.once('error', () => resolve());
        });
        conn.socket.resume();
        await conn.closed;
        const res = parseRawResponse(conn.bytes());
        expect(res.status).toBe(413);
        expect(res.headers.connection).toBe('close');
        expect((JSON.parse(res.body) as ErrorBody).error.code).toBe('request_too_large');
      }
    },
  );

  it('the OpenAI SDK sees the 413 of a message of 3× the limit, every time', async () => {
    for (let i = 0; i < REPEAT; i++) {
      const err = await h.client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(3 * LIMIT) }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('request_too_large');
    }
  });

  it('an upload that goes on beyond the drain bound is cut off', async () => {
    const conn = await openRaw(h.sidecar.port);
    conn.send(
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'transfer-encoding: chunked\r\n\r\n',
    );
    const chunk = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
    // Up to 64× the limit, far beyond the 8× the sidecar drains: it stops reading and closes long before.
    let sent = 0;
    while (!conn.socket.destroyed && sent < 64 * LIMIT) {
      if (!conn.send(chunk)) await Promise.race([once(conn.socket, 'drain').catch(() => []), conn.closed]);
      sent += chunk.length;
    }
    await conn.closed;
    expect(sent).toBeLessThan(64 * LIMIT);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 413 /);
  });
});
