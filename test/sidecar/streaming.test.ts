import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { CHAT, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { waitFor } from '../support/wait.ts';

describe('streaming through the sidecar', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('aborts the upstream call at once when the client goes away mid-stream', async () => {
    h = await startHarness([{ name: 'slow', behaviour: { streamChunks: 50, chunkIntervalMs: 40 } }]);
    const controller = new AbortController();
    const stream = await h.client.chat.completions.create(
      { ...CHAT, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    try {
      for await (const _chunk of stream) {
        if (++seen === 2) controller.abort();
      }
    } catch {
      // the SDK may end the iteration or throw on abort; either way the client is gone
    }
    expect(seen).toBeGreaterThanOrEqual(2);
    await waitFor('the mock to see its client go away', () => h.mocks.slow?.stats.clientAborts === 1, 2_000);
    expect(h.mocks.slow?.stats.streamsCompleted).toBe(0);
    expect(h.mocks.slow?.stats.sseEventsWritten).toBeLessThan(20);
  });

  it('reports a stream cut after its first bytes as an error, never as a clean end', async () => {
    h = await startHarness(
      [{ name: 'cutter', behaviour: { streamChunks: 10, cutStreamAfterChunks: 3 } }, { name: 'other' }],
      (mocks) => poolSpec(mocks, { providers: { cutter: { weight: 1000 } } }),
    );
    const stream = await h.client.chat.completions.create({ ...CHAT, stream: true });
    let chunks = 0;
    const err = await (async () => {
      for await (const _chunk of stream) chunks++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('ended before it was complete');
    expect(chunks).toBeGreaterThan(0);
    expect(h.mocks.other?.stats.requests).toBe(0); // bytes had reached the client: no failover
  });

  it('fails over transparently when a stream is cut before any byte reached the client', async () => {
    h = await startHarness(
      [{ name: 'cutter', behaviour: { cutStreamAfterChunks: 0 } }, { name: 'other' }],
      (mocks) => poolSpec(mocks, { providers: { cutter: { weight: 1000 } } }),
    );
    const { data: stream, response } = await h.client.chat.completions
      .create({ ...CHAT, stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(response.headers.get('x-switchboard-provider')).toBe('other');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(text).toContain('other');
  });
});
