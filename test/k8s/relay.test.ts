/**
 * Several operator replicas on a real API server: every replica serves sidecars, only the leader decides. A
 * follower relays its sidecars' ACKs and reports to the leader (which it finds on the Lease) and serves the
 * leader's snapshots back; the status the leader writes counts every replica's sidecars.
 *
 * The operators and sidecars are real processes (the CLI). A TCP proxy stands in for the operator's Service: each
 * connection goes to the first replica that accepts it.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { request } from 'undici';
import type { Report, Snapshot } from '../../api/sync/sync-protocol.ts';
import { SseParser } from '../../core/sse/sse-parser.ts';
import { startMockProvider } from '../../mock-provider/server.ts';
import { startCli } from '../support/cli-process.ts';
import { waitFor } from '../support/wait.ts';
import { startClusterSidecar } from './support/cluster-sidecar.ts';
import { kubeconfigPath, kubectl, ok } from './support/kube.ts';
import { installCrds, poolAt, statusOf, type PoolStatus } from './support/providerpool.ts';
import { useNamespace } from './support/namespace.ts';

interface FleetStatus extends PoolStatus {
  sidecars?: { connected?: number; reporting?: number; onCurrentVersion?: number };
  providers?: { name: string; requestRate?: number }[];
}

/** Polls the status until `check` holds, for up to `ms` (failover waits for the Lease to expire). */
async function statusWhen(namespace: string, what: string, check: (s: FleetStatus) => boolean, ms = 30_000) {
  let last: FleetStatus = {};
  await waitFor(
    what,
    async () => {
      last = (await statusOf(namespace)) as FleetStatus;
      return check(last);
    },
    ms,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last status: ${JSON.stringify(last)}`);
  });
  return last;
}

/** The operator's Service as the sidecars see it: each connection goes to the first replica that accepts it. */
async function serviceProxy(
  backends: () => readonly number[],
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((client) => {
    const tryBackend = (ports: readonly number[]): void => {
      const [port, ...rest] = ports;
      if (port === undefined) {
        client.destroy();
        return;
      }
      const upstream = connect(port, '127.0.0.1');
      upstream.once('error', () => tryBackend(rest));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
      });
    };
    tryBackend(backends());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.emit('close');
      }),
  };
}

/** The pool, its Secret, and tokens (audience switchboard) of the operator's and the application's accounts. */
async function setUp(namespace: string, dir: string, baseURL: string): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'openai' },
    stringData: { 'api-key': 'sk-test-not-a-real-key' },
  };
  await ok(kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify(secret)));
  await ok(kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify(poolAt(baseURL))));
  for (const account of ['switchboard-operator', 'app']) {
    await ok(kubectl(['create', 'serviceaccount', account, '-n', namespace]));
    const token = await ok(
      kubectl(['create', 'token', account, '-n', namespace, '--audience', 'switchboard']),
    );
    await writeFile(join(dir, `${account}.token`), token.trim());
  }
  await mkdir(join(dir, 'secrets', 'openai'), { recursive: true });
  await writeFile(join(dir, 'secrets', 'openai', 'api-key'), 'sk-test-not-a-real-key');
}

/** An operator replica (a CLI process); resolves with it and the port of its sync channel. */
async function startReplica(namespace: string, dir: string, id: string) {
  const operator = startCli([
    'operator',
    '--kubeconfig',
    kubeconfigPath(),
    '--namespace',
    namespace,
    '--lease-namespace',
    namespace,
    '--id',
    id,
    '--port',
    '0',
    '--sync-port',
    '0',
    '--relay-token-file',
    join(dir, 'switchboard-operator.token'),
    '--relay-account',
    `${namespace}/switchboard-operator`,
  ]);
  const started = await operator.waitForLog('operator started');
  return { operator, syncPort: Number(new URL(String(started.sync)).port) };
}

describe('two operator replicas, a sidecar on each', () => {
  const ns = useNamespace('relay');
  const cleanups = useCleanups();
  beforeAll(installCrds);

  it('counts both sidecars in the leader’s status, and after the leader is killed the other replica leads while the sidecars keep serving', async () => {
    const mock = await startMockProvider({ name: 'primary', apiKey: 'sk-test-not-a-real-key' });
    cleanups.push(() => mock.close());
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-relay-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await setUp(ns.name, dir, mock.url);

    const syncPorts = new Map<string, number>();
    const replica = async (id: string) => {
      const { operator, syncPort } = await startReplica(ns.name, dir, id);
      cleanups.push(() => operator.stop('SIGKILL'));
      syncPorts.set(id, syncPort);
      return operator;
    };
    const first = await replica('op-1');
    await first.waitForLog('became leader');
    const second = await replica('op-2');

    // Sidecar "near" dials the Service (op-1, the leader, first); sidecar "far" dials the follower op-2 directly.
    const service = await serviceProxy(() => [...syncPorts.values()]);
    cleanups.push(() => service.close());
    const clients = new Map<string, OpenAI>();
    for (const [id, url] of [
      ['near', service.url],
      ['far', `http://127.0.0.1:${syncPorts.get('op-2')}`],
    ] as const) {
      const { sidecar, url: listening } = await startClusterSidecar({
        operator: url,
        pool: `${ns.name}/chat`,
        id,
        dir,
        stateDir: join(dir, `state-${id}`),
        tokenFile: join(dir, 'app.token'),
      });
      cleanups.push(() => sidecar.stop());
      await sidecar.waitForLog('applied configuration from the operator');
      clients.set(id, new OpenAI({ baseURL: listening, apiKey: 'x', maxRetries: 0 }));
    }
    const send = async (times: number) => {
      for (let i = 0; i < times; i++)
        for (const client of clients.values())
          await client.chat.completions.create({
            model: 'chat',
            messages: [{ role: 'user', content: 'hi' }],
          });
    };

    // The follower relays: the leader (op-1) writes a status that counts the sidecar on op-2.
    await second.waitForLog('relaying to the leader');
    await send(10);
    const both = await statusWhen(
      ns.name,
      'both sidecars connected, on the configuration and reporting',
      (s) => s.sidecars?.connected === 2 && s.sidecars.onCurrentVersion === 2 && s.sidecars.reporting === 2,
    );
    expect(both.providers?.[0]?.requestRate).toBeGreaterThan(0);
    expect(second.logs.some((l) => l.msg === 'became leader')).toBe(false);

    // Kill the leader: its sidecar keeps serving from its configuration, and dials the Service again (op-2).
    await first.stop('SIGKILL');
    syncPorts.delete('op-1');
    await send(5);
    await second.waitForLog('became leader', 40_000);
    await statusWhen(
      ns.name,
      'the new leader counts both sidecars',
      (s) => s.sidecars?.connected === 2 && s.sidecars.onCurrentVersion === 2,
      40_000,
    );
    await send(5);
    // Every request was answered by the provider: none failed while leadership moved.
    expect(mock.stats.requests).toBe(40);
  }, 150_000);
});

/** A sidecar reduced to its sync calls: a stream of snapshots (SSE) and reports, with its account's token. */
class RawSidecar {
  readonly snapshots: { at: number; snapshot: Snapshot }[] = [];
  readonly #stop = new AbortController();
  readonly #base: string;
  readonly #token: string;

  constructor(syncPort: number, namespace: string, token: string) {
    this.#base = `http://127.0.0.1:${syncPort}/sync/v1/pools/${namespace}/chat`;
    this.#token = token;
  }

  async open(id: string): Promise<void> {
    const res = await request(`${this.#base}/stream?sidecar=${id}`, {
      headers: { authorization: `Bearer ${this.#token}` },
      signal: this.#stop.signal,
    });
    expect(res.statusCode).toBe(200);
    const parser = new SseParser();
    void (async () => {
      for await (const chunk of res.body)
        for (const event of parser.feed(chunk as Buffer))
          if (event.event === 'snapshot')
            this.snapshots.push({ at: performance.now(), snapshot: JSON.parse(event.data) as Snapshot });
    })().catch(() => undefined);
    await waitFor(`a first snapshot for ${id}`, () => this.snapshots.length > 0, 10_000);
  }

  async report(report: Report): Promise<void> {
    const res = await request(`${this.#base}/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
      body: JSON.stringify(report),
    });
    await res.body.text();
    expect(res.statusCode).toBe(204);
  }

  close(): void {
    this.#stop.abort();
  }
}

describe('three operator replicas', () => {
  const ns = useNamespace('relay3');
  const cleanups = useCleanups();
  beforeAll(installCrds);

  it('spread a cool-down a sidecar on one follower saw to a sidecar on the other follower, through the leader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-relay3-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await setUp(ns.name, dir, 'https://api.openai.com/v1');
    const replicas = [];
    for (const id of ['op-1', 'op-2', 'op-3']) {
      const started = await startReplica(ns.name, dir, id);
      cleanups.push(() => started.operator.stop());
      replicas.push(started);
      if (id === 'op-1') await started.operator.waitForLog('became leader');
    }
    const [, follower1, follower2] = replicas;
    const token = (await readFile(join(dir, 'app.token'), 'utf8')).trim();
    const a = new RawSidecar(follower1?.syncPort ?? 0, ns.name, token);
    const b = new RawSidecar(follower2?.syncPort ?? 0, ns.name, token);
    cleanups.push(async () => {
      a.close();
      b.close();
    });
    await a.open('sidecar-a');
    await b.open('sidecar-b');
    await follower1?.operator.waitForLog('relaying to the leader');
    await follower2?.operator.waitForLog('relaying to the leader');
    // B runs what the leader sends (the follower serves the leader's snapshots, not its own).
    await waitFor('the leader’s snapshot on B', () =>
      b.snapshots.some((s) => s.snapshot.weights.primary !== undefined),
    );

    const samples: number[] = [];
    const base = Date.now() + 60_000;
    for (let i = 0; i < 100; i++) {
      const until = base + i * 1000;
      const sent = performance.now();
      const now = Date.now();
      await a.report({
        sidecar: 'sidecar-a',
        windowStart: now - 1000,
        windowEnd: now,
        targets: [],
        cooldowns: [{ provider: 'primary', until, reason: 'RateLimited' }],
      });
      await waitFor(
        `cool-down ${i} on sidecar B`,
        () => b.snapshots.some((s) => s.snapshot.cooldowns.some((c) => c.until === until)),
        5_000,
      );
      const arrived = b.snapshots.find((s) => s.snapshot.cooldowns.some((c) => c.until === until));
      samples.push((arrived?.at ?? Infinity) - sent);
    }
    samples.sort((x, y) => x - y);
    const pct = (p: number) =>
      samples[Math.min(samples.length - 1, Math.ceil(p * samples.length) - 1)] ?? NaN;
    // A measurement (figures go to the README), not a timed assertion: every cool-down arrived.
    console.log(
      `cool-down A (follower op-2) → leader → B (follower op-3): p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms, max ${pct(1).toFixed(1)} ms over ${samples.length}`,
    );
    expect(samples).toHaveLength(100);
  }, 120_000);
});
