/**
 * Quotas without a shared counter, with real processes: `switchboard operator --local DIR` and two sidecar
 * processes in front of in-process mocks. A provider limited to 120 requests a minute and a backup; both sidecars
 * send as fast as they can; the limited provider receives about its limit (at least 90 %, at most 5 % over) and the
 * backup serves the rest. The same with a limit of tokens per minute, the requests asking for far more output
 * (max_tokens) than they get: the sidecars settle each estimate against the usage the answer reports.
 */
import { describe, expect, it } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import { startCli } from '../support/cli-process.ts';
import { sleep } from '../support/wait.ts';

const cleanups = useCleanups();

const LIMIT_PER_MINUTE = 120;
/** About 180 of the mock's answers to "hi" (14 tokens each) a minute; the requests' estimate is ~1,000 tokens. */
const TOKENS_PER_MINUTE = 2_520;
/** Load before counting: the sidecars report demand and the operator pushes shares (rounds of 2 s, reports of 5 s). */
const WARM_UP_MS = 6_000;
const MEASURE_MS = 20_000;
const CONCURRENCY = 4;

async function mock(name: string): Promise<MockProvider> {
  const m = await startMockProvider({ name, behaviour: { latencyMs: 50 } });
  cleanups.push(() => m.close());
  return m;
}

async function sidecar(operatorUrl: string, id: string, stateDir: string): Promise<OpenAI> {
  const args = ['sidecar', '--operator', operatorUrl, '--pool', 'default/chat', '--id', id];
  const p = startCli([...args, '--port', '0', '--metrics-port', '0', '--state-dir', stateDir]);
  cleanups.push(() => p.stop('SIGKILL'));
  const url = String((await p.waitForLog('sidecar listening')).url);
  return new OpenAI({ baseURL: url, apiKey: 'x', maxRetries: 0 });
}

/** Tokens (prompt + completion) the answers of each provider reported, as the clients saw them. */
const tokensByProvider = new Map<string, number>();

/** Sends `CONCURRENCY` requests at a time (each takes the mocks' 50 ms) until `stop()`; failures are ignored (the test counts at the mocks). */
function flood(client: OpenAI, maxTokens?: number): { stop: () => Promise<void> } {
  let running = true;
  const worker = async () => {
    while (running)
      await client.chat.completions
        .create({
          model: 'chat',
          messages: [{ role: 'user', content: 'hi' }],
          ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }),
        })
        .withResponse()
        .then(({ data, response }) => {
          const provider = response.headers.get('x-switchboard-provider') ?? 'none';
          tokensByProvider.set(
            provider,
            (tokensByProvider.get(provider) ?? 0) + (data.usage?.total_tokens ?? 0),
          );
        })
        .catch(() => undefined);
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

async function fleetAgainstLimit(
  limits: { requestsPerMinute?: number; tokensPerMinute?: number },
  maxTokens?: number,
  on: 'provider' | 'model' = 'provider',
): Promise<{ limited: MockProvider; backup: MockProvider; seconds: number; tokens: number }> {
  const limited = await mock('limited');
  const backup = await mock('backup');
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-quota-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const provider = (m: MockProvider, extra: object, modelLimits?: object) => ({
    name: m.name,
    type: 'openai',
    baseURL: m.url,
    models: [
      { name: 'chat', model: 'gpt-4o-mini', ...(modelLimits === undefined ? {} : { limits: modelLimits }) },
    ],
    ...extra,
  });
  await writeFile(
    join(dir, 'pool.yaml'),
    stringify({
      apiVersion: 'switchboard.dev/v1alpha1',
      kind: 'ProviderPool',
      metadata: { name: 'chat' },
      spec: {
        strategy: { type: 'weighted-round-robin' },
        retry: { attempts: 1 },
        providers: [
          on === 'provider'
            ? provider(limited, { weight: 1000, limits })
            : provider(limited, { weight: 1000 }, limits),
          provider(backup, { weight: 1 }),
        ],
      },
    }),
  );
  const op = startCli(['operator', '--local', dir, '--sync-port', '0', '--log-level', 'info']);
  cleanups.push(() => op.stop('SIGKILL'));
  const operatorUrl = String((await op.waitForLog('operator running in local mode')).url);
  const clients = [
    await sidecar(operatorUrl, 'app-1', join(dir, 'state')),
    await sidecar(operatorUrl, 'app-2', join(dir, 'state')),
  ];

  const floods = clients.map((c) => flood(c, maxTokens));
  await sleep(WARM_UP_MS);
  limited.resetStats();
  backup.resetStats();
  tokensByProvider.clear();
  const start = Date.now();
  await sleep(MEASURE_MS);
  const tokens = tokensByProvider.get('limited') ?? 0;
  const seconds = (Date.now() - start) / 1000;
  await Promise.all(floods.map((f) => f.stop()));
  return { limited, backup, seconds, tokens };
}

describe('a provider limit split across sidecars by the operator', () => {
  it('keeps the fleet within the limit while using at least 90 % of it, the backup serving the rest', async () => {
    const { limited, backup, seconds } = await fleetAgainstLimit({ requestsPerMinute: LIMIT_PER_MINUTE });
    const received = limited.stats.requests;
    const allowed = (LIMIT_PER_MINUTE / 60) * seconds;
    expect(received).toBeLessThanOrEqual(Math.ceil(allowed * 1.05));
    expect(received).toBeGreaterThanOrEqual(Math.floor(allowed * 0.9));
    expect(backup.stats.requests).toBeGreaterThan(received);
  }, 60_000);

  it('keeps the fleet within a tokens-per-minute limit and uses at least 90 % of it, though every request asks for 1,000 output tokens and gets a handful', async () => {
    const { backup, seconds, tokens } = await fleetAgainstLimit(
      { tokensPerMinute: TOKENS_PER_MINUTE },
      1_000,
    );
    const allowed = (TOKENS_PER_MINUTE / 60) * seconds;
    expect(tokens).toBeLessThanOrEqual(Math.ceil(allowed * 1.05));
    expect(tokens).toBeGreaterThanOrEqual(Math.floor(allowed * 0.9));
    expect(backup.stats.requests).toBeGreaterThan(0);
  }, 60_000);

  it('does the same for a limit of one model at the provider (spec.providers[].models[].limits)', async () => {
    const { backup, seconds, tokens } = await fleetAgainstLimit(
      { tokensPerMinute: TOKENS_PER_MINUTE },
      1_000,
      'model',
    );
    const allowed = (TOKENS_PER_MINUTE / 60) * seconds;
    expect(tokens).toBeLessThanOrEqual(Math.ceil(allowed * 1.05));
    expect(tokens).toBeGreaterThanOrEqual(Math.floor(allowed * 0.9));
    expect(backup.stats.requests).toBeGreaterThan(0);
  }, 60_000);
});
