/**
 * Slow and idle clients cannot tie the sidecar up: a body trickling in or stalled, headers that never end, a
 * silent connection and an idle keep-alive connection are all closed at the sidecar's documented bounds (not
 * Node's 300 s request timeout), with a 408 in the error shape where a request had begun;
 * a client that stops reading a stream pauses the upstream instead of making the sidecar buffer the answer; a
 * flood of idle connections leaves it answering; and close() finishes while clients keep connections open.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, fetch as undiciFetch } from 'undici';
import {
  closedWithin,
  openRaw,
  parseRawResponse,
  rawJsonPost,
  rawPost,
  readResponse,
  trickle,
  type RawConnection,
} from '../support/raw-http.ts';
import { expectErrorBody } from '../support/error-shape.ts';
import { CHAT, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { sleep, waitFor } from '../support/wait.ts';

/**
 * The documented bounds (README, "Limits and timeouts"), in ms. Node checks the header timeout every
 * `timeoutCheckIntervalMs` (1 s), so a connection closes up to that much after its bound; MARGIN_MS covers that
 * and a loaded machine.
 */
const DOCUMENTED_MS = { headers: 10_000, body: 30_000, bodyIdle: 10_000, keepAlive: 65_000 };
const MARGIN_MS = 3_000;
/** How long a request may take to be answered while the flood holds its connections. */
const ANSWER_UNDER_FLOOD_BOUND_MS = 15_000;
/** How long close() may take while a client keeps a keep-alive connection open. */
const CLOSE_BOUND_MS = 10_000;
const FLOOD_CONNECTIONS = 500;

const chatBody = JSON.stringify(CHAT);

/** A chat completion request as raw bytes. */
const chatRequest = (stream: boolean): Buffer =>
  rawJsonPost('/v1/chat/completions', JSON.stringify({ ...CHAT, stream }));

interface SlowClient {
  name: string;
  /** The documented bound the sidecar must close the connection at. */
  boundMs: number;
  /** The answer before the close: a 408 in the OpenAI error shape, or none. */
  status: 408 | undefined;
  /** Starts the slow client on a fresh connection. */
  start(conn: RawConnection): void | Promise<void>;
}

const HEAD = rawPost('/v1/chat/completions', {
  host: 'sidecar',
  'content-type': 'application/json',
  'content-length': String(chatBody.length),
});

const SLOW_CLIENTS: SlowClient[] = [
  {
    name: 'a body trickling in at one byte a second (never silent for long) at the whole-body bound',
    boundMs: DOCUMENTED_MS.body,
    status: 408,
    start: (conn) => {
      conn.send(HEAD);
      trickle(conn, chatBody, 1000);
    },
  },
  {
    name: 'a body that stops half-way at the silence bound',
    boundMs: DOCUMENTED_MS.bodyIdle,
    status: 408,
    start: (conn) => void conn.send(Buffer.concat([HEAD, Buffer.from(chatBody.slice(0, 10))])),
  },
  {
    name: 'request headers that never end at the header bound',
    boundMs: DOCUMENTED_MS.headers,
    status: 408,
    start: (conn) => {
      conn.send('POST /v1/chat/completions HTTP/1.1\r\nhost: sidecar\r\n');
      trickle(conn, `x-never-ending: ${'a'.repeat(1000)}`, 1000);
    },
  },
  {
    name: 'a connection that never sends a byte at the header bound, silently',
    boundMs: DOCUMENTED_MS.headers,
    status: undefined,
    start: () => undefined,
  },
  {
    name: 'an idle keep-alive connection after a request at the keep-alive bound',
    boundMs: DOCUMENTED_MS.keepAlive,
    status: undefined,
    start: async (conn) => {
      conn.send(chatRequest(false));
      await readResponse(conn);
    },
  },
];

describe('slow and idle connections are closed at the documented bounds, not held for minutes', () => {
  let h: Harness;
  /**
   * Per client: milliseconds until the sidecar closed the connection (undefined: not within the bound and margin),
   * and what it sent after the client started being slow.
   */
  const outcomes = new Map<string, Promise<{ closedAfterMs: number | undefined; bytes: Buffer }>>();
  beforeAll(async () => {
    h = await startHarness([{ name: 'only' }]);
    // All run at once, so the suite waits for the slowest, not for the sum.
    for (const c of SLOW_CLIENTS) {
      const conn = await openRaw(h.sidecar.port);
      await c.start(conn);
      const from = conn.bytes().length;
      const closing = closedWithin(conn, c.boundMs + MARGIN_MS);
      outcomes.set(
        c.name,
        closing.then((closedAfterMs) => ({ closedAfterMs, bytes: conn.bytes().subarray(from) })),
      );
    }
  });
  afterAll(() => h.close());

  it.each(SLOW_CLIENTS)('closes $name ($boundMs ms)', async (c) => {
    const outcome = await outcomes.get(c.name);
    expect(outcome?.closedAfterMs).toBeDefined();
    // Not much earlier either: the bounds are documented, and clients rely on the keep-alive one.
    expect(outcome?.closedAfterMs).toBeGreaterThan(c.boundMs - MARGIN_MS);
    const answer = parseRawResponse(outcome?.bytes ?? Buffer.alloc(0));
    expect(answer.status).toBe(c.status);
    if (c.status !== undefined) {
      expect(answer.headers.connection).toBe('close');
      expectErrorBody(answer.body);
    }
  });
});

describe('slow readers and connection floods', () => {
  let h: Harness;
  beforeAll(async () => {
    // A rate-limit budget the 64 MiB answer below cannot use up.
    h = await startHarness([{ name: 'only', behaviour: { tokensPerMinute: 1_000_000_000 } }]);
  });
  afterAll(() => h.close());

  it('pauses the upstream stream while the client does not read, and completes it when the client reads', async () => {
    const events = 1024;
    // 64 MiB: more than the kernel buffers on the way can hold, so a sidecar that buffered would show it.
    h.mocks.only?.setBehaviour({ replyText: 'z'.repeat(64 * 1024 * 1024), streamChunks: events });
    const conn = await openRaw(h.sidecar.port);
    conn.socket.pause();
    conn.send(chatRequest(true));
    let ended = false;
    const answer = readResponse(conn).finally(() => {
      ended = true;
    });
    const written = () => h.mocks.only?.stats.sseEventsWritten ?? 0;
    await waitFor('the upstream to start streaming', () => written() > 0, 10_000);
    // Stalled: no event written for a second.
    let last = -1;
    await waitFor(
      'the upstream to stall',
      async () => {
        const now = written();
        const stalled = now === last;
        last = now;
        await sleep(1000);
        return stalled;
      },
      30_000,
    );
    expect(written()).toBeLessThan(events * 0.75);

    conn.socket.resume();
    await waitFor('the stream to end', () => ended, 60_000);
    expect((await answer).slice(-64)).toContain('data: [DONE]');
    expect(h.mocks.only?.stats.streamsCompleted).toBe(1);
    conn.socket.destroy();
    h.mocks.only?.setBehaviour({ replyText: null, streamChunks: 8 });
  });

  it(`answers promptly while ${FLOOD_CONNECTIONS} idle and half-sent connections are open, and after`, async () => {
    const flood: RawConnection[] = [];
    for (let i = 0; i < FLOOD_CONNECTIONS; i += 1) {
      const conn = await openRaw(h.sidecar.port);
      if (i % 2 === 1) conn.send('POST /v1/chat/completions HTTP/1.1\r\nhost: sidecar\r\n');
      flood.push(conn);
    }
    const res = await fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody,
      signal: AbortSignal.timeout(ANSWER_UNDER_FLOOD_BOUND_MS),
    });
    expect(res.status).toBe(200);
    expect((await fetch(`${new URL(h.sidecar.url).origin}/healthz`)).status).toBe(200);
    for (const conn of flood) conn.socket.destroy();
    const after = await h.client.chat.completions.create(CHAT);
    expect(after.choices[0]?.message.content).toBeTruthy();
  });
});

/** A client that has made a plain and then a streaming request and keeps its connection open; `release` drops it. */
interface KeepAliveClient {
  name: string;
  connect(h: Harness): Promise<{ release(): Promise<void> | void }>;
}

const KEEP_ALIVE_CLIENTS: KeepAliveClient[] = [
  {
    name: 'the OpenAI SDK',
    async connect(h) {
      await h.client.chat.completions.create(CHAT);
      let text = '';
      for await (const chunk of await h.client.chat.completions.create({ ...CHAT, stream: true })) {
        text += chunk.choices[0]?.delta.content ?? '';
      }
      expect(text).not.toBe('');
      return { release: () => undefined };
    },
  },
  {
    name: 'a keep-alive agent',
    async connect(h) {
      const agent = new Agent({ keepAliveTimeout: 600_000 });
      const post = (stream: boolean) =>
        undiciFetch(`${h.sidecar.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...CHAT, stream }),
          dispatcher: agent,
        }).then((res) => res.text());
      await post(false);
      expect(await post(true)).toContain('data: [DONE]');
      return { release: () => agent.destroy() };
    },
  },
  {
    name: 'one raw keep-alive socket',
    async connect(h) {
      const conn = await openRaw(h.sidecar.port);
      conn.send(chatRequest(false));
      await readResponse(conn);
      conn.send(chatRequest(true));
      expect(await readResponse(conn)).toContain('data: [DONE]');
      return { release: () => void conn.socket.destroy() };
    },
  },
];

describe('closing the sidecar', () => {
  it.each(KEEP_ALIVE_CLIENTS)(
    'finishes while $name keeps its connection open after a plain and a streaming request',
    async (c) => {
      const h = await startHarness([{ name: 'only' }]);
      const client = await c.connect(h);
      const closing = h.close();
      // A signal, not a sleep: the bound's timer must not outlive the test (it held the run open for 10 s).
      const bound = AbortSignal.timeout(CLOSE_BOUND_MS);
      const outcome = await Promise.race([
        closing.then(() => 'closed'),
        new Promise((resolve) => bound.addEventListener('abort', () => resolve('still closing'))),
      ]);
      // Dropping the client's connection lets a close that waited for it finish, so nothing outlives the test.
      await client.release();
      await closing;
      expect(outcome).toBe('closed');
    },
  );
});
