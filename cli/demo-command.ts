/**
 * `switchboard demo`: the whole data plane on one machine with no keys. Three mock providers with different
 * speed, price and reliability, a sidecar in front of them, and (unless --no-traffic) an app sending requests
 * through the official OpenAI SDK, with a live table of who serves what.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { startMockProvider, type MockProvider } from '../mock-provider/server.ts';
import type { MockBehaviour } from '../mock-provider/behaviour.ts';
import { createLogger } from '../sidecar/core/log.ts';
import { startSidecar, type RunningSidecar } from '../sidecar/sidecar.ts';
import { onShutdown, parsePort } from './cli-support.ts';

export const DEMO_USAGE = `switchboard demo [options]

Starts three mock providers (OpenAI, Anthropic and Gemini dialects) and a sidecar in front of them, then sends traffic through the OpenAI SDK and
prints a live table. Edit the pool file it prints while it runs: the sidecar applies changes at once.

  --port P            sidecar API port (default 4000; 0 picks a free port)
  --metrics-port M    Prometheus /metrics port (default 9464)
  --rps N             requests per second the demo app sends (default 8)
  --duration S        stop after S seconds (default: run until Ctrl-C)
  --no-traffic        start providers and sidecar only; send your own requests
  --dir DIR           where the pool file is written (default .switchboard/demo)
`;

interface DemoProvider {
  readonly name: string;
  readonly type: 'openai' | 'anthropic' | 'gemini';
  readonly model: string;
  readonly pricing: { inputPerMillionTokens: number; outputPerMillionTokens: number };
  readonly behaviour: Partial<MockBehaviour>;
}

/** One mock per dialect, so the demo shows translation as well as balancing. */
const PROVIDERS: readonly DemoProvider[] = [
  {
    name: 'openai',
    type: 'openai',
    model: 'gpt-4o-mini',
    pricing: { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 },
    behaviour: { latencyMs: 40, latencyJitterMs: 40, chunkIntervalMs: 15 },
  },
  {
    name: 'anthropic',
    type: 'anthropic',
    model: 'claude-haiku-4-5',
    pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 5 },
    behaviour: { latencyMs: 160, latencyJitterMs: 80, chunkIntervalMs: 25 },
  },
  {
    name: 'gemini',
    type: 'gemini',
    model: 'gemini-2.5-flash',
    pricing: { inputPerMillionTokens: 0.3, outputPerMillionTokens: 2.5 },
    behaviour: { latencyMs: 30, latencyJitterMs: 20, errorRate: 0.2, rateLimitRate: 0.05, retryAfterS: 2 },
  },
];

function demoPool(mocks: ReadonlyMap<string, MockProvider>): string {
  return stringify({
    apiVersion: 'switchboard.dev/v1alpha1',
    kind: 'ProviderPool',
    metadata: { name: 'demo' },
    spec: {
      strategy: { type: 'adaptive' },
      providers: PROVIDERS.map((p) => ({
        name: p.name,
        type: p.type,
        baseURL: mocks.get(p.name)?.url,
        weight: 1,
        models: [{ name: 'chat', model: p.model, pricing: p.pricing }],
      })),
      retry: { attempts: 2 },
      breaker: { consecutiveFailures: 5, baseBackoffMs: 3000 },
    },
  });
}

interface Tally {
  ok: number;
  failed: number;
  byProvider: Map<string, number>;
  retried: number;
}

async function sendOne(client: OpenAI, stream: boolean, tally: Tally): Promise<void> {
  try {
    const messages = [{ role: 'user' as const, content: 'Summarize the plot of Hamlet in one sentence.' }];
    let provider: string | null;
    let attempts: string | null;
    if (stream) {
      const { data, response } = await client.chat.completions
        .create({ model: 'chat', messages, stream: true })
        .withResponse();
      for await (const _chunk of data) {
        // read to the end, as an app would
      }
      provider = response.headers.get('x-switchboard-provider');
      attempts = response.headers.get('x-switchboard-attempts');
    } else {
      const { response } = await client.chat.completions.create({ model: 'chat', messages }).withResponse();
      provider = response.headers.get('x-switchboard-provider');
      attempts = response.headers.get('x-switchboard-attempts');
    }
    tally.ok++;
    if (attempts !== '1') tally.retried++;
    const name = provider ?? '?';
    tally.byProvider.set(name, (tally.byProvider.get(name) ?? 0) + 1);
  } catch {
    tally.failed++;
  }
}

function renderTable(sidecar: RunningSidecar, tally: Tally, elapsedS: number): string {
  const runtime = sidecar.runtime();
  const now = performance.timeOrigin + performance.now();
  const rows = [...runtime.providers.values()].map((p) => {
    const target = runtime.models.get('chat')?.find((t) => t.provider === p);
    const served = tally.byProvider.get(p.name) ?? 0;
    const share = tally.ok === 0 ? 0 : (100 * served) / tally.ok;
    const latency = target?.stats.latencyMs(now);
    const errors = target?.stats.errorRate(now) ?? 0;
    const state = p.cooldown.isCoolingDown(now) ? 'cooling down (429)' : p.breaker.state(now);
    return `  ${p.name.padEnd(10)} ${String(served).padStart(6)} ${share.toFixed(1).padStart(6)} %  ${(latency === undefined ? '-' : `${latency.toFixed(0)} ms`).padStart(8)}  ${(errors * 100).toFixed(0).padStart(4)} %   ${state}`;
  });
  return [
    `\n[${elapsedS.toFixed(0)} s] strategy ${runtime.defaultStrategy}: ${tally.ok} answered, ${tally.retried} after a retry, ${tally.failed} failed`,
    '  provider   served  share   latency  errors   state',
    ...rows,
  ].join('\n');
}

export async function runDemoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4000' },
      'metrics-port': { type: 'string', default: '9464' },
      rps: { type: 'string', default: '8' },
      duration: { type: 'string' },
      'no-traffic': { type: 'boolean', default: false },
      dir: { type: 'string', default: '.switchboard/demo' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return;
  }
  const rps = Number(values.rps);
  if (!(rps > 0 && rps <= 1000)) throw new Error(`--rps must be a number in (0, 1000], not "${values.rps}"`);
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0))
    throw new Error(`--duration must be a positive number of seconds`);

  const mocks = new Map<string, MockProvider>();
  for (const [i, p] of PROVIDERS.entries()) {
    mocks.set(
      p.name,
      await startMockProvider({ name: p.name, dialect: p.type, seed: i + 1, behaviour: p.behaviour }),
    );
  }
  const dir = resolve(values.dir);
  await mkdir(dir, { recursive: true });
  const poolFile = resolve(dir, 'pool.yaml');
  await writeFile(poolFile, demoPool(mocks));
  const sidecar = await startSidecar({
    poolFile,
    port: parsePort(values.port, '--port'),
    metricsPort: parsePort(values['metrics-port'], '--metrics-port'),
    logger: createLogger({ level: 'error' }),
  });
  process.stdout.write(
    [
      'Switchboard demo',
      `  OpenAI base URL   ${sidecar.url}   (any API key; model "chat")`,
      `  metrics           ${sidecar.metricsUrl ?? '-'}`,
      `  pool file         ${poolFile}   (edit it: changes apply live)`,
      ...PROVIDERS.map(
        (p) => `  mock ${p.name.padEnd(12)} ${mocks.get(p.name)?.url}  ${describeBehaviour(p.behaviour)}`,
      ),
      `  try: curl -s ${sidecar.url}/chat/completions -H 'content-type: application/json' -d '{"model":"chat","messages":[{"role":"user","content":"hi"}]}'`,
      '',
    ].join('\n'),
  );

  const started = Date.now();
  const tally: Tally = { ok: 0, failed: 0, byProvider: new Map(), retried: 0 };
  const client = new OpenAI({ baseURL: sidecar.url, apiKey: 'demo', maxRetries: 0 });
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const traffic = values['no-traffic']
    ? undefined
    : setInterval(() => {
        const p = sendOne(client, sent++ % 3 === 0, tally).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }, 1000 / rps);
  const report = values['no-traffic']
    ? undefined
    : setInterval(
        () => process.stdout.write(renderTable(sidecar, tally, (Date.now() - started) / 1000) + '\n'),
        2000,
      );

  const stop = async () => {
    clearInterval(traffic);
    clearInterval(report);
    await Promise.all(inFlight);
    if (!values['no-traffic'])
      process.stdout.write(renderTable(sidecar, tally, (Date.now() - started) / 1000) + '\n');
    await sidecar.close();
    await Promise.all([...mocks.values()].map((m) => m.close()));
  };
  if (duration !== undefined) {
    await new Promise((r) => setTimeout(r, duration * 1000));
    await stop();
    if (tally.ok === 0 && !values['no-traffic']) throw new Error('the demo served no request');
    return;
  }
  onShutdown(stop);
}

function describeBehaviour(b: Partial<MockBehaviour>): string {
  const parts = [`~${b.latencyMs ?? 0} ms`];
  if (b.errorRate) parts.push(`${b.errorRate * 100} % errors`);
  if (b.rateLimitRate) parts.push(`${b.rateLimitRate * 100} % 429s`);
  return parts.join(', ');
}
