/**
 * Slow clients meet deliberate bounds (sidecar/server/http-limits.ts), injected short here; responses, however
 * long, do not. Raw sockets for what HTTP clients will not send, the OpenAI SDK for a long stream.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHAT, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { openRaw, parseRawResponse, trickle, type RawConnection } from '../support/raw-http.ts';

/** Short, with wide gaps between them, so a busy machine cannot make one case look like another. */
const LIMITS = {
  headersTimeoutMs: 500,
  bodyTimeoutMs: 1_500,
  bodyIdleTimeoutMs: 1_000,
  timeoutCheckIntervalMs: 50,
};
const HEAD = 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n';
const BODY = JSON.stringify(CHAT);

interface Case {
  readonly name: string;
  readonly act: (conn: RawConnection) => void;
  /** The answer expected before the close; undefined: closed without one. */
  readonly status?: number;
  readonly message?: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a body trickling a byte every 50 ms (never idle for long) is cut at the body timeout with a 408',
    act: (conn) => {
      conn.send(`${HEAD}content-length: ${BODY.length}\r\n\r\n`);
      trickle(conn, BODY, 50);
    },
    status: 408,
    message: /request body did not arrive within 1500 ms/,
  },
  {
    name: 'a body that stops half-way is cut after the idle timeout with a 408',
    act: (conn) => {
      conn.send(`${HEAD}content-length: ${BODY.length}\r\n\r\n${BODY.slice(0, 10)}`);
    },
    status: 408,
    message: /next part of the request body did not arrive within 1000 ms/,
  },
  {
    name: 'headers that never finish are answered 408 and closed',
    act: (conn) => {
      conn.send('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n');
    },
    status: 408,
    message: /did not arrive in time/,
  },
  {
    name: 'headers trickling a byte every 100 ms are answered 408 and closed',
    act: (conn) => trickle(conn, `${HEAD}content-length: 2\r\n\r\n{}`, 100),
    status: 408,
    message: /did not arrive in time/,
  },
  {
    name: 'a connection that never sends a byte is closed without an answer',
    act: () => {},
  },
];

describe('slow clients are cut off, with a 408 in the OpenAI error shape where there is a request', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      [{ name: 'only', behaviour: { streamChunks: 8, chunkIntervalMs: 400 } }],
      undefined,
      { http: LIMITS },
    );
  });
  afterAll(() => h.close());

  it.each(CASES)('$name', async ({ act, status, message }) => {
    const conn = await openRaw(h.sidecar.port);
    act(conn);
    await conn.closed;
    if (status === undefined) {
      expect(conn.received()).toBe('');
      return;
    }
    const res = parseRawResponse(conn.bytes());
    expect(res.status).toBe(status);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'request_timeout',
        message: expect.stringMatching(message ?? /./),
      },
    });
  });

  it('a streamed answer longer than every client timeout is not cut', async () => {
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    const started = Date.now();
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(Date.now() - started).toBeGreaterThan(LIMITS.bodyTimeoutMs + LIMITS.headersTimeoutMs);
    expect(finish).toBe('stop');
    expect(text.length).toBeGreaterThan(0);
  });

  it('a keep-alive connection idle for longer than the header timeout serves its next request', async () => {
    const { response } = await h.client.chat.completions.create(CHAT).withResponse();
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, LIMITS.headersTimeoutMs * 2));
    const again = await h.client.chat.completions.create(CHAT).withResponse();
    expect(again.response.status).toBe(200);
  });
});
