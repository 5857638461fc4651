/**
 * A bounded soak: three partly degraded mock providers (one answers ~30 % of requests with 500s, one cuts ~30 %
 * of its streams mid-answer, one answers ~30 % with 429 and Retry-After), SOAK_REQUESTS requests (default 1,500),
 * half of them streaming, through the official OpenAI SDK without retries, at bounded concurrency; one provider is
 * killed a third of the way in and restarted on the same port a few seconds later.
 *
 * Every request is classified (see `Outcome`); the pass criteria are at the end and the figures are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import { parseGoDuration } from '../../sidecar/ratelimit/go-duration.ts';
import { keySightings } from '../support/key-canary.ts';
import { CHAT, metricsText, poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { recordingFetch, type Recording } from './recording-fetch.ts';

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 1500);
const CONCURRENCY = 8;
/** A request not finished within this is a hang. */
const HANG_BOUND_MS = 30_000;
/** How long the killed provider stays down. */
const DOWN_MS = 4_000;
const MIN_SUCCESS_RATE = 0.97;
/** The throttled provider refuses this share of requests with 429 and `Retry-After: RETRY_AFTER_S`. */
const THROTTLE = { rate: 0.3, retryAfterS: 1 };

/** Keys that share no run of characters with provider names or anything else the sidecar prints. */
const KEYS: Record<string, string> = {
  erratic: 'sk-soak-7Hq2Wm9Zc4Xv1Bn8Lp3Rt6Ys',
  cutter: 'sk-soak-Vd5Kf8Jg1Nh4Qm7Tx2Wz9Pc3',
  throttled: 'sk-soak-Ea6Ub3Ir8Oy1Lk5Gs9Hd2Mf4',
};

/** Every provider takes 40–120 ms to answer and paces its stream events, as real ones do. */
const PACE: Partial<MockBehaviour> = { latencyMs: 40, latencyJitterMs: 80, chunkIntervalMs: 10 };
const BEHAVIOUR: Record<string, Partial<MockBehaviour>> = {
  erratic: { ...PACE, errorRate: 0.3 },
  // Cuts come after content has reached the client (the paced events are written one by one).
  cutter: { ...PACE, cutStreamAfterChunks: 4, cutStreamRate: 0.3 },
  throttled: { ...PACE, rateLimitRate: THROTTLE.rate, retryAfterS: THROTTLE.retryAfterS },
};

/**
 * - success: a complete answer: content, a finish_reason and, for a stream, `data: [DONE]`.
 * - clean-failure: an error status with an error body, or a stream that ends with an error event before content.
 * - cut-after-content: a stream that ended with an error event after content reached the client; only continuing
 *   the answer elsewhere can rescue these, so they are reported apart and left out of the success rate.
 * - wrongful-503: "no provider available" while a provider could still serve (see `couldServe`).
 * - silent-truncation: a stream that ended without [DONE] or finish_reason and without an error event.
 * - hang: no end within HANG_BOUND_MS.
 * - reset: the connection failed (socket error) instead of an answer.
 */
type Outcome =
  'success' | 'clean-failure' | 'cut-after-content' | 'wrongful-503' | 'silent-truncation' | 'hang' | 'reset';

interface Result {
  readonly outcome: Outcome;
  readonly stream: boolean;
  readonly detail: string;
}

describe('soak: mixed traffic over partly degraded providers, one killed and restarted', () => {
  let h: Harness;
  const recordings = new Map<string, Recording>();
  /** Providers not listening now (killed). */
  const down = new Set<string>();
  let client: OpenAI;
  const results: Result[] = [];
  let elapsedMs = 0;
  /** Upstream counters of the killed provider's first life. */
  let killedStats = '';
  let killedRequests = 0;
  /** What the throttled provider's 429 announces (see `probeThrottled`), and the requests the probe made. */
  let throttledAnswer: { status: number; retryAfter: string | null; resetRequestsMs: number | undefined };
  let probeRequests = 0;

  /**
   * Whether some provider could still serve: one that is listening and does not refuse with 429 (the throttled
   * one counts as never able, as its Retry-After windows overlap under load: this favours the sidecar). Breakers
   * do not count: with every breaker open the sidecar should still route to the least-bad provider.
   */
  const couldServe = (): boolean =>
    Object.entries(BEHAVIOUR).some(([name, b]) => !down.has(name) && (b.rateLimitRate ?? 0) === 0);

  beforeAll(async () => {
    h = await startHarness(
      Object.keys(KEYS).map((name) => ({ name, apiKey: KEYS[name], behaviour: BEHAVIOUR[name] })),
      (mocks) =>
        poolSpec(mocks, {
          // A fifth or more of first attempts fail here (30 % 500s on one provider, 30 % 429s on another), which the
          // default retry budget (20 % of traffic) caps on purpose, so retries never multiply an outage: at that
          // ratio the rescue rate swings with where the killed provider's share lands. The soak measures rescue,
          // so it gives retries room; the budget's cap itself is tested in sidecar/retry/retry-budget.test.ts.
          spec: { retry: { attempts: 2, budgetRatio: 0.5 } },
          providers: Object.fromEntries(
            Object.keys(KEYS).map((name) => [name, { apiKey: { env: name.toUpperCase() } }]),
          ),
        }),
      {
        secrets: {
          env: Object.fromEntries(Object.entries(KEYS).map(([name, key]) => [name.toUpperCase(), key])),
        },
      },
    );
    throttledAnswer = await probeThrottled();
    client = new OpenAI({
      baseURL: h.sidecar.url,
      apiKey: 'not-needed-by-the-sidecar',
      maxRetries: 0,
      fetch: recordingFetch(recordings),
    });
  });
  afterAll(() => h.close());

  /**
   * One 429 of the throttled provider, asked directly after a request that starts its minute window: it says
   * "retry after 1 s" while announcing a request budget that is only full again at the end of the window. Honouring
   * that reset instead of Retry-After would starve the provider for most of a minute.
   */
  async function probeThrottled(): Promise<typeof throttledAnswer> {
    const mock = h.mocks.throttled;
    if (mock === undefined) throw new Error('no throttled provider');
    const post = () =>
      fetch(`${mock.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.throttled}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...CHAT, model: 'gpt-4o-mini' }),
      });
    mock.setBehaviour({ rateLimitRate: 0 });
    await (await post()).arrayBuffer();
    mock.setBehaviour({ rateLimitRate: 1 });
    const refused = await post();
    await refused.arrayBuffer();
    mock.setBehaviour({ rateLimitRate: THROTTLE.rate });
    probeRequests = 2;
    return {
      status: refused.status,
      retryAfter: refused.headers.get('retry-after'),
      resetRequestsMs: parseGoDuration(refused.headers.get('x-ratelimit-reset-requests') ?? undefined),
    };
  }

  async function one(index: number): Promise<Result> {
    const stream = index % 2 === 1;
    const requestId = `soak-${index}`;
    const abort = new AbortController();
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      abort.abort();
    }, HANG_BOUND_MS);
    let content = '';
    let finish: string | null | undefined;
    try {
      const options = { headers: { 'x-request-id': requestId }, signal: abort.signal };
      if (stream) {
        const chunks = await client.chat.completions.create({ ...CHAT, stream: true }, options);
        for await (const chunk of chunks) {
          content += chunk.choices[0]?.delta.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
      } else {
        const answer = await client.chat.completions.create(CHAT, options);
        content = answer.choices[0]?.message.content ?? '';
        finish = answer.choices[0]?.finish_reason;
      }
    } catch (error) {
      return { stream, ...failure(error, hung, content, recordings.get(requestId)) };
    } finally {
      clearTimeout(timer);
    }
    const recording = recordings.get(requestId);
    if (hung) return { stream, outcome: 'hang', detail: 'aborted at the bound' };
    const done = !stream || (recording?.text().trimEnd().endsWith('data: [DONE]') ?? false);
    if (content !== '' && typeof finish === 'string' && done) {
      return { stream, outcome: 'success', detail: '200' };
    }
    if (recording?.failure !== undefined) return { stream, outcome: 'reset', detail: recording.failure };
    return {
      stream,
      outcome: 'silent-truncation',
      detail: `content ${content.length}, finish ${String(finish)}, [DONE] ${done}`,
    };
  }

  function failure(
    error: unknown,
    hung: boolean,
    content: string,
    recording: Recording | undefined,
  ): { outcome: Outcome; detail: string } {
    if (hung) return { outcome: 'hang', detail: 'aborted at the bound' };
    if (error instanceof OpenAI.APIConnectionError || !(error instanceof OpenAI.APIError)) {
      return { outcome: 'reset', detail: error instanceof Error ? error.message : String(error) };
    }
    const code = typeof error.code === 'string' ? error.code : 'none';
    if (error.status === undefined) {
      // An error event inside a stream that had started.
      return content === ''
        ? { outcome: 'clean-failure', detail: `stream error ${code}` }
        : { outcome: 'cut-after-content', detail: `stream error ${code}` };
    }
    if (error.status === 503 && code === 'no_provider_available' && couldServe()) {
      return { outcome: 'wrongful-503', detail: error.message };
    }
    const shaped = recording !== undefined && /^\s*\{"error":\{/.test(recording.text());
    return {
      outcome: 'clean-failure',
      detail: `${error.status} ${code}${shaped ? '' : ' (not in the error shape)'}`,
    };
  }

  async function killAndRestart(started: () => number): Promise<void> {
    await waitFor('a third of the run', () => started() >= REQUESTS / 3, 600_000);
    const victim = h.mocks.erratic;
    if (victim === undefined) throw new Error('no provider to kill');
    down.add('erratic');
    await victim.close();
    killedStats = upstreamFigures(victim);
    killedRequests = victim.stats.requests;
    await sleep(DOWN_MS);
    h.mocks.erratic = await startMockProvider({
      name: 'erratic',
      port: victim.port,
      seed: 99,
      apiKey: KEYS.erratic,
      behaviour: BEHAVIOUR.erratic,
    });
    down.delete('erratic');
  }

  it(`serves ${REQUESTS} requests, half streaming, and classifies every one`, async () => {
    const began = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        const index = next;
        next += 1;
        results[index] = await one(index);
      }
    };
    await Promise.all([killAndRestart(() => next), ...Array.from({ length: CONCURRENCY }, () => worker())]);
    elapsedMs = performance.now() - began;
    expect(results.filter(Boolean)).toHaveLength(REQUESTS);
    printFigures(results, elapsedMs, [
      `${killedStats} (before it was killed)`,
      ...Object.values(h.mocks).map(upstreamFigures),
    ]);
  });

  const count = (outcome: Outcome): number => results.filter((r) => r.outcome === outcome).length;

  it.each<[string, Outcome]>([
    ['no stream is silently truncated', 'silent-truncation'],
    ['no request hangs', 'hang'],
    ['no connection is reset', 'reset'],
    ['no 503 while some provider could still serve', 'wrongful-503'],
  ])('%s', (_name, outcome) => {
    expect(results).toHaveLength(REQUESTS);
    expect(results.filter((r) => r.outcome === outcome).slice(0, 5)).toEqual([]);
  });

  it(`succeeds for at least ${MIN_SUCCESS_RATE * 100} % of requests, streams cut after content aside`, () => {
    const judged = REQUESTS - count('cut-after-content');
    expect(judged).toBeGreaterThan(0);
    expect(count('success') / judged).toBeGreaterThanOrEqual(MIN_SUCCESS_RATE);
  });

  /**
   * The bound: each request the throttled provider gets is refused with probability p = THROTTLE.rate, and a 429
   * takes it out for Retry-After (RA, 1 s); then the eight concurrent clients reach it again within milliseconds.
   * So it cycles: RA out, then on average 1/p requests until the next 429; over a run of T seconds about T / RA
   * cycles, T / (RA · p) requests (a few more, answered from requests in flight when a 429 lands). Half of that is
   * the bound. Held until its announced reset instead (over 30 s here, see the probe), it would get about 1/p
   * requests per hold: a handful in the whole run.
   */
  it('gives the provider answering 429 with Retry-After: 1 and a long reset traffic again after its Retry-After', () => {
    expect(throttledAnswer.status).toBe(429);
    expect(throttledAnswer.retryAfter).toBe(String(THROTTLE.retryAfterS));
    expect(throttledAnswer.resetRequestsMs).toBeGreaterThan(30 * THROTTLE.retryAfterS * 1000);
    const received = (h.mocks.throttled?.stats.requests ?? 0) - probeRequests;
    const bound = Math.floor(elapsedMs / 1000 / (2 * THROTTLE.retryAfterS * THROTTLE.rate));
    const upstream =
      killedRequests + Object.values(h.mocks).reduce((sum, m) => sum + m.stats.requests, 0) - probeRequests;
    process.stdout.write(
      `soak: the 429 provider got ${received} of ${upstream} upstream requests ` +
        `(${((100 * received) / upstream).toFixed(1)} %), bound ${bound}\n`,
    );
    expect(received).toBeGreaterThanOrEqual(bound);
  });

  it('shows no API key to the client, in the logs or in the metrics', async () => {
    const seen = [
      ...[...recordings.values()].map((r) => r.headers + r.text()),
      ...h.logs,
      await metricsText(h.sidecar),
    ];
    const sightings = Object.values(KEYS).flatMap((key) => seen.flatMap((text) => keySightings(text, key)));
    expect(recordings.size).toBeGreaterThanOrEqual(REQUESTS);
    expect(sightings.slice(0, 5)).toEqual([]);
  });

  it('is healthy after the run: /healthz answers ok and a request succeeds', async () => {
    for (const mock of Object.values(h.mocks)) {
      mock.setBehaviour({ errorRate: 0, rateLimitRate: 0, cutStreamAfterChunks: null });
    }
    const health = await fetch(`${new URL(h.sidecar.url).origin}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const answer = await client.chat.completions.create(CHAT);
    expect(answer.choices[0]?.message.content).toBeTruthy();
  });
});

function upstreamFigures(m: MockProvider): string {
  const s = m.stats;
  return `${m.name.padEnd(10)} requests ${s.requests}, by status ${JSON.stringify(s.byStatus)}, streams ${s.streamsStarted} (cut ${s.streamsCut})`;
}

function printFigures(results: readonly Result[], elapsedMs: number, upstream: readonly string[]): void {
  const rows: Record<string, { all: number; plain: number; streaming: number }> = {};
  for (const r of results) {
    const row = (rows[r.outcome] ??= { all: 0, plain: 0, streaming: 0 });
    row.all += 1;
    if (r.stream) row.streaming += 1;
    else row.plain += 1;
  }
  const cut = rows['cut-after-content']?.all ?? 0;
  const success = rows.success?.all ?? 0;
  const details: Record<string, number> = {};
  for (const r of results) {
    if (r.outcome !== 'success')
      details[`${r.outcome}: ${r.detail}`] = (details[`${r.outcome}: ${r.detail}`] ?? 0) + 1;
  }
  const lines = [
    `soak: ${results.length} requests in ${(elapsedMs / 1000).toFixed(1)} s at concurrency ${CONCURRENCY}`,
    ...Object.entries(rows).map(
      ([outcome, n]) =>
        `  ${outcome.padEnd(18)} ${String(n.all).padStart(5)}  (plain ${n.plain}, streaming ${n.streaming})`,
    ),
    `  success rate, all requests:              ${((100 * success) / results.length).toFixed(2)} %`,
    `  success rate, cut-after-content aside:   ${((100 * success) / (results.length - cut)).toFixed(2)} %`,
    '  upstream, per provider:',
    ...upstream.map((line) => `    ${line}`),
    '  non-successes by detail:',
    ...Object.entries(details)
      .sort((a, b) => b[1] - a[1])
      .map(([detail, n]) => `    ${String(n).padStart(5)}  ${detail.slice(0, 160)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
