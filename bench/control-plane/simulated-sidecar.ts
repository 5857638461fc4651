/**
 * A lightweight simulated sidecar for the control-plane benchmark: one SSE stream to the operator, an ACK for
 * each new configuration version, a report every few seconds. It does not build a runtime or serve traffic, so
 * thousands fit in one process; it notes when each configuration version and each cool-down first reached it.
 */
import { request, type Dispatcher } from 'undici';
import { SseParser } from '../../core/sse/sse-parser.ts';

export interface SimulatedSidecarOptions {
  readonly base: string;
  readonly id: string;
  /** For the long-lived streams (one connection each). */
  readonly streams: Dispatcher;
  /** For ACKs and reports (a bounded pool shared by the fleet). */
  readonly posts: Dispatcher;
  readonly now: () => number;
}

interface SnapshotHead {
  readonly configVersion: string;
  readonly cooldowns: readonly { readonly provider: string; readonly until: number }[];
}

export class SimulatedSidecar {
  readonly id: string;
  readonly #o: SimulatedSidecarOptions;
  readonly #stop = new AbortController();
  /** When each configuration version first arrived. */
  readonly versionsSeenAt = new Map<string, number>();
  /** When a cool-down of each `provider@until` first arrived. */
  readonly cooldownsSeenAt = new Map<string, number>();
  #acked: string | undefined;
  #stream: Promise<void> | undefined;

  constructor(options: SimulatedSidecarOptions) {
    this.#o = options;
    this.id = options.id;
  }

  /** Opens the stream; resolves once it is open (the first snapshot may come later). */
  async connect(): Promise<void> {
    const res = await request(`${this.#o.base}/stream?sidecar=${this.id}`, {
      dispatcher: this.#o.streams,
      signal: this.#stop.signal,
    });
    if (res.statusCode !== 200) throw new Error(`stream refused: HTTP ${res.statusCode}`);
    this.#stream = this.#read(res.body);
  }

  async #read(body: Dispatcher.ResponseData['body']): Promise<void> {
    const parser = new SseParser();
    try {
      for await (const chunk of body) {
        for (const event of parser.feed(chunk as Buffer)) {
          if (event.event === 'snapshot') this.#onSnapshot(JSON.parse(event.data) as SnapshotHead);
        }
      }
    } catch {
      // closed by stop()
    }
  }

  #onSnapshot(snapshot: SnapshotHead): void {
    const at = this.#o.now();
    if (!this.versionsSeenAt.has(snapshot.configVersion)) this.versionsSeenAt.set(snapshot.configVersion, at);
    for (const c of snapshot.cooldowns) {
      const key = `${c.provider}@${c.until}`;
      if (!this.cooldownsSeenAt.has(key)) this.cooldownsSeenAt.set(key, at);
    }
    if (this.#acked !== snapshot.configVersion) {
      this.#acked = snapshot.configVersion;
      void this.post('acks', { sidecar: this.id, configVersion: snapshot.configVersion, result: 'ACK' });
    }
  }

  /** A report like a real sidecar's: one target, a few attempts, optional cool-downs. */
  report(windowStart: number, windowEnd: number, cooldowns: unknown[] = []): Promise<void> {
    const target = {
      provider: 'primary',
      model: 'chat',
      attempts: 10,
      successes: 10,
      failures: 0,
      rateLimited: 0,
      latency: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 5, 3],
      timeToFirstToken: [],
      inputTokens: 500,
      outputTokens: 200,
      costUSD: 0.0002,
      inFlight: 1,
      breaker: 'closed',
      demandRequests: 10,
      demandTokens: 700,
    };
    return this.post('reports', {
      sidecar: this.id,
      ...(this.#acked === undefined ? {} : { configVersion: this.#acked }),
      windowStart: Math.floor(windowStart),
      windowEnd: Math.floor(windowEnd),
      targets: [target],
      cooldowns,
    });
  }

  async post(path: 'acks' | 'reports', body: unknown): Promise<void> {
    const res = await request(`${this.#o.base}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher: this.#o.posts,
    });
    await res.body.dump();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#stream;
  }
}
