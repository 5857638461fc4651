import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import { systemClock, seededRng } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { parsePoolYaml } from '../../sidecar/config/load-pool.ts';
import { SidecarMetrics } from '../../sidecar/metrics/metrics.ts';
import { ClientPresence } from '../../sidecar/proxy/client-presence.ts';
import { UpstreamAttempt } from '../../sidecar/proxy/upstream-attempt.ts';
import { ClientSink } from '../../sidecar/proxy/client-sink.ts';
import { metricsObserver } from '../../sidecar/metrics/metrics-observer.ts';
import { OPENAI_CLIENT_API } from '../../sidecar/api/client-api.ts';
import { buildPoolRuntime } from '../../sidecar/routing/pool-runtime.ts';
import { acquireTargetPermit } from '../../sidecar/routing/target-permit.ts';
import { manifest, poolSpec } from '../support/sidecar-harness.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A client socket that is always "full": every write() returns false until the test emits 'drain'. Kernel
 * socket buffers on loopback hold tens of megabytes, so a real paused client cannot show backpressure quickly.
 */
class SlowClient extends EventEmitter {
  destroyed = false;
  headersSent = false;
  writes = 0;
  ended = false;
  body = '';
  writeHead(): this {
    this.headersSent = true;
    return this;
  }
  write(chunk: string): boolean {
    this.writes++;
    this.body += chunk;
    return false;
  }
  end(chunk?: string): this {
    if (chunk) this.body += chunk;
    this.ended = true;
    return this;
  }
}

describe('streaming backpressure', () => {
  let mock: MockProvider;
  beforeAll(async () => {
    mock = await startMockProvider({
      name: 'firehose',
      behaviour: { streamChunks: 50, chunkIntervalMs: 2, replyText: 'y'.repeat(5000) },
    });
  });
  afterAll(() => mock.close());

  it('writes nothing more to a client that said it is full until it drains, then finishes the stream', async () => {
    const runtime = buildPoolRuntime(parsePoolYaml(manifest(poolSpec({ firehose: mock }))), undefined, {
      secrets: { env: {}, secretsDir: '/nonexistent' },
      rng: seededRng(1),
      now: systemClock.now(),
      onBreakerTransition: () => {},
    });
    const target = runtime.models.get('chat')?.[0];
    const permit = target && acquireTargetPermit(target, systemClock.now());
    if (!target || !permit) throw new Error('pool did not build');
    const client = new SlowClient();
    const done = new UpstreamAttempt(
      {
        operation: 'chat',
        body: { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true },
        stream: true,
        clientWantsUsage: false,
        target,
        permit,
        attempt: 1,
        receivedAt: systemClock.now(),
        rateLimit: { defaultCooldownMs: 1000, quotaExhaustedCooldownMs: 1000 },
        client: new ClientPresence(),
        sink: new ClientSink(client as unknown as ServerResponse, OPENAI_CLIENT_API, {}),
        observer: metricsObserver(new SidecarMetrics()),
        redactor: runtime.redactor,
      },
      { clock: systemClock, logger: silentLogger },
    ).run();

    await waitFor('the first write', () => client.writes === 1);
    // The upstream sends its whole (small) answer into socket buffers meanwhile; the sidecar still waits for 'drain'.
    await waitFor('the upstream to finish sending', () => mock.stats.streamsCompleted === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.writes).toBe(1);
    let drains = 0;
    while (!client.ended && drains < 200) {
      const before = client.writes;
      client.emit('drain');
      drains++;
      await waitFor('the next write or the end', () => client.writes > before || client.ended);
      expect(client.writes).toBeLessThanOrEqual(before + 1); // exactly one write per drain
    }
    expect(await done).toEqual({
      kind: 'served',
      usage: expect.objectContaining({ inputTokens: expect.any(Number) }),
    });
    expect(client.body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(client.writes).toBeGreaterThanOrEqual(2); // the rest came only after drains
    await runtime.providers.get('firehose')?.close();
  });
});
