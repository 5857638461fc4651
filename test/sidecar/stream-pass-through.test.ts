/**
 * OpenAI in, OpenAI out: once the answer has started, the upstream's SSE events reach the client as the bytes they
 * came in (cut at event boundaries, parsed alongside), not re-serialized. A hand-written upstream frames its events
 * unlike the sidecar would (`data:` without a space, CRLF line endings), so the test can tell which bytes passed.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startHarness, type Harness } from '../support/sidecar-harness.ts';

const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data:${JSON.stringify({
    id: 'chatcmpl-raw',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\r\n\r\n`;
const USAGE = `data:${JSON.stringify({
  id: 'chatcmpl-raw',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [],
  usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
})}\r\n\r\n`;
const OPENER = chunk({ role: 'assistant', content: '' });
const HELLO = chunk({ content: 'Hello' });
const THERE = chunk({ content: ' there' });
const FRIEND = chunk({ content: ' friend' });
const FINISH = chunk({}, 'stop');
const DONE = 'data:[DONE]\r\n\r\n';

/** An upstream that writes `writes` one by one, a few ms apart; `cut`: then drops the connection. */
async function upstream(writes: readonly string[], cut = false): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const w of writes) {
        res.write(w);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      if (cut) res.socket?.destroy();
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

describe('OpenAI to OpenAI streams pass through', () => {
  let h: Harness;
  let server: Server;
  afterEach(async () => {
    await h.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function start(writes: readonly string[], cut = false): Promise<void> {
    const up = await upstream(writes, cut);
    server = up.server;
    h = await startHarness([], () => ({
      retry: { attempts: 0 },
      providers: [
        { name: 'raw', type: 'openai', baseURL: up.url, models: [{ name: 'chat', model: 'gpt-4o-mini' }] },
      ],
    }));
  }

  async function raw(body: Record<string, unknown> = {}): Promise<string> {
    const res = await fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'chat',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
        ...body,
      }),
    });
    return res.text();
  }

  it('sends the upstream’s own bytes once the answer started; withholds the usage the client did not ask for', async () => {
    // The third event arrives in two pieces: it goes out whole, once its end came.
    const split = THERE.length - 7;
    // The usage chunk shares its network chunk with [DONE]: it alone is withheld, [DONE] passes as it came.
    await start([OPENER + HELLO, THERE.slice(0, split), THERE.slice(split) + FRIEND, FINISH, USAGE + DONE]);
    const text = await raw();
    // The opener and the first content are held until the answer starts, and re-framed with it.
    expect(text.startsWith(`data: ${OPENER.slice(5, -4)}\n\ndata: ${HELLO.slice(5, -4)}\n\n`)).toBe(true);
    // Everything after goes out as it came, the withheld usage chunk excepted.
    expect(text.endsWith(THERE + FRIEND + FINISH + DONE)).toBe(true);
    expect(text).not.toContain('"usage"');

    const client = new OpenAI({ baseURL: h.sidecar.url, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'chat',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    let content = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      content += c.choices[0]?.delta.content ?? '';
      usage = c.usage ?? usage;
    }
    expect(content).toBe('Hello there friend');
    expect(usage?.total_tokens).toBe(8);
  });

  it('a stream cut inside an event ends after the last whole event, with one clean error event', async () => {
    const partial = FRIEND.slice(0, FRIEND.indexOf(' friend') + 4); // up to " fri"
    await start([OPENER + HELLO, THERE, partial], true);
    const text = await raw();
    // The last whole event as it came, then at once the error event: nothing of the cut one.
    const after = text.slice(text.indexOf(THERE) + THERE.length);
    expect(after).toMatch(/^data: \{"error":/);
    expect(text).not.toContain(' fri');
    const frames = text.split(/\r?\n\r?\n/).filter((f) => f !== '');
    expect(frames.at(-1)).toMatch(/^data: \{"error":\{"message":"[^"]*provider raw/);
    expect(frames.every((f) => f.startsWith('data:'))).toBe(true);
    expect(text).not.toContain('[DONE]');
  });
});
