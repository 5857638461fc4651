/**
 * Stopping the sidecar is a graceful drain (sidecar/server/connection-drain.ts): idle connections, whatever made
 * them, do not hold it up; answers in flight finish within the drain bound and are cut after it. Real sockets.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { CHAT, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { openRaw } from '../support/raw-http.ts';
import { waitFor } from '../support/wait.ts';

/** Far below the default drain bound (20 s) that a close held up by a connection would take. */
const PROMPTLY_MS = 5_000;

async function timeToClose(h: Harness): Promise<number> {
  const started = Date.now();
  await h.sidecar.close();
  return Date.now() - started;
}

describe('stopping the sidecar', () => {
  let h: Harness;
  afterEach(() => h.close());

  it.each([
    {
      name: 'a plain then a streamed completion through the OpenAI SDK, whose fetch leaves an unused connection open',
      connect: async (harness: Harness) => {
        await harness.client.chat.completions.create(CHAT);
        const stream = await harness.client.chat.completions.create({ ...CHAT, stream: true });
        for await (const _ of stream);
      },
    },
    {
      name: 'a connection that never sent a request',
      connect: async (harness: Harness) => {
        await openRaw(harness.sidecar.port);
      },
    },
    {
      name: 'an idle keep-alive connection after an answer',
      connect: async (harness: Harness) => {
        const conn = await openRaw(harness.sidecar.port);
        const body = JSON.stringify(CHAT);
        conn.send(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
            `content-length: ${body.length}\r\n\r\n${body}`,
        );
        while (!conn.received().includes('"finish_reason"')) await new Promise((r) => setTimeout(r, 10));
      },
    },
  ])('resolves promptly after $name', async ({ connect }) => {
    h = await startHarness([{ name: 'only' }]);
    await connect(h);
    expect(await timeToClose(h)).toBeLessThan(PROMPTLY_MS);
  });

  it('lets a stream in flight finish whole, refusing new connections meanwhile', async () => {
    h = await startHarness([{ name: 'only', behaviour: { streamChunks: 10, chunkIntervalMs: 100 } }]);
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const closed = h.sidecar.close();
    await expect(fetch(`${h.sidecar.url}/models`)).rejects.toThrow();
    let finish: string | null | undefined;
    let chunks = 1;
    // A cut stream would throw here: the SDK raises a connection ended before [DONE].
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      finish = next.value.choices[0]?.finish_reason ?? finish;
      chunks += 1;
    }
    await closed;
    expect(finish).toBe('stop');
    expect(chunks).toBeGreaterThanOrEqual(10);
  });

  it('answers a request in flight before its answer started with connection: close', async () => {
    h = await startHarness([{ name: 'only', behaviour: { latencyMs: 300 } }]);
    const answer = fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    });
    await waitFor('the request to reach the provider', () => h.mocks.only?.stats.requests === 1);
    const closed = h.sidecar.close();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    await res.arrayBuffer();
    await closed;
  });

  it('cuts a stream still running after the drain bound', async () => {
    h = await startHarness(
      [{ name: 'only', behaviour: { streamChunks: 50, chunkIntervalMs: 200 } }],
      undefined,
      { http: { shutdownDrainMs: 300 } },
    );
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const closing = timeToClose(h);
    const rest = (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next());
    })();
    await expect(rest).rejects.toThrow();
    expect(await closing).toBeLessThan(PROMPTLY_MS); // the whole stream would take 10 s
  });
});
