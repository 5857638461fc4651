/**
 * Child process: drives load with autocannon's programmatic API, phase after phase, and writes one JSON line when
 * each phase starts and one with its result when it ends (so the parent can meter CPU over exactly that window).
 *
 * Latency is recorded here from autocannon's `response` event, in fractional milliseconds: autocannon's own
 * histogram keeps whole milliseconds, too coarse for an overhead of a fraction of one.
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'undici';
import { summarize, type LatencySummary } from './latency.ts';

export interface LoadPhase {
  readonly name: string;
  readonly durationS: number;
  readonly connections: number;
  /** Requests per second over all connections; null: closed loop, as fast as answers come. */
  readonly rate: number | null;
  /**
   * 'sequential': one keep-alive connection, one request at a time (undici, not autocannon), recording also the
   * time to the first body byte: the per-request overhead with no queueing, and a stream's time to first token.
   */
  readonly kind?: 'autocannon' | 'sequential';
}

export interface LoadConfig {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly phases: readonly LoadPhase[];
}

export interface PhaseResult {
  /** Answers with a 2xx status. */
  readonly ok: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  readonly durationS: number;
  /** 2xx answers per second. */
  readonly rps: number;
  /** Of 2xx answers only, request start to last body byte; null when there were none. */
  readonly latencyMs: LatencySummary | null;
  /** Sequential phases: of 2xx answers, request start to the first body byte (a stream's first event). */
  readonly firstByteMs?: LatencySummary | null;
}

export type LoadEvent =
  | { readonly event: 'phase-start'; readonly phase: string }
  | { readonly event: 'phase-end'; readonly phase: string; readonly result: PhaseResult };

function runPhase(config: LoadConfig, phase: LoadPhase): Promise<PhaseResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: config.url,
        method: 'POST',
        body: config.body,
        headers: config.headers,
        connections: phase.connections,
        duration: phase.durationS,
        ...(phase.rate === null ? {} : { overallRate: phase.rate }),
        timeout: 10,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const ok = latencies.length;
        resolve({
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationS: result.duration,
          rps: result.duration > 0 ? ok / result.duration : 0,
          latencyMs: summarize(latencies),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
    });
  });
}

/** One connection, one request at a time, for `phase.durationS`. */
async function runSequential(config: LoadConfig, phase: LoadPhase): Promise<PhaseResult> {
  const url = new URL(config.url);
  const client = new Client(url.origin, { pipelining: 1 });
  const latencies: number[] = [];
  const firstBytes: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + phase.durationS * 1000;
  try {
    while (performance.now() < end) {
      const sent = performance.now();
      try {
        const res = await client.request({
          path: url.pathname + url.search,
          method: 'POST',
          headers: config.headers,
          body: config.body,
        });
        let first: number | undefined;
        for await (const chunk of res.body) {
          if (first === undefined && (chunk as Buffer).length > 0) first = performance.now();
        }
        const done = performance.now();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          latencies.push(done - sent);
          firstBytes.push((first ?? done) - sent);
        } else non2xx += 1;
      } catch {
        errors += 1;
      }
    }
  } finally {
    await client.close();
  }
  const durationS = (performance.now() - started) / 1000;
  return {
    ok: latencies.length,
    non2xx,
    errors,
    timeouts: 0,
    durationS,
    rps: latencies.length / durationS,
    latencyMs: summarize(latencies),
    firstByteMs: summarize(firstBytes),
  };
}

function emit(event: LoadEvent): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

const { values } = parseArgs({ options: { config: { type: 'string' } } });
if (values.config === undefined) throw new Error('--config JSON is required');
const config = JSON.parse(values.config) as LoadConfig;
for (const phase of config.phases) {
  emit({ event: 'phase-start', phase: phase.name });
  const result =
    phase.kind === 'sequential' ? await runSequential(config, phase) : await runPhase(config, phase);
  emit({ event: 'phase-end', phase: phase.name, result });
}
