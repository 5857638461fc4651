/**
 * The control loop with real processes: `switchboard operator --local DIR` and two `switchboard sidecar
 * --operator` processes, in front of in-process mock providers; the pool's status read from the file the
 * operator writes, as a user would.
 */
import { describe, expect, it } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import type { ProviderPoolStatus } from '../../api/v1alpha1/providerpool-status.ts';
import { startCli, type CliProcess } from '../support/cli-process.ts';
import { waitFor } from '../support/wait.ts';

const cleanups = useCleanups();

async function mock(name: string, behaviour: Partial<MockBehaviour> = {}): Promise<MockProvider> {
  const m = await startMockProvider({ name, behaviour });
  cleanups.push(() => m.close());
  return m;
}

function poolYaml(
  mocks: MockProvider[],
  spec: Record<string, unknown> = {},
  extra: Record<string, unknown>[] = [],
) {
  return stringify({
    apiVersion: 'switchboard.dev/v1alpha1',
    kind: 'ProviderPool',
    metadata: { name: 'chat' },
    spec: {
      strategy: { type: 'adaptive' },
      retry: { attempts: 1 },
      ...spec,
      providers: [
        ...mocks.map((m) => ({
          name: m.name,
          type: 'openai',
          baseURL: m.url,
          models: [{ name: 'chat', model: 'gpt-4o-mini' }],
        })),
        ...extra,
      ],
    },
  });
}

interface World {
  readonly dir: string;
  readonly stateDir: string;
  operator: CliProcess;
  operatorUrl: string;
  readonly sidecars: { process: CliProcess; url: string; client: OpenAI }[];
  status(): Promise<ProviderPoolStatus | undefined>;
  startOperator(port?: number): Promise<void>;
  startSidecar(id: string): Promise<{ process: CliProcess; url: string; client: OpenAI }>;
}

async function world(pool: string, sidecarCount = 2): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-local-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'pool.yaml'), pool);
  const w: World = {
    dir,
    stateDir: join(dir, 'state'),
    operator: undefined as unknown as CliProcess,
    operatorUrl: '',
    sidecars: [],
    async status() {
      try {
        return JSON.parse(
          await readFile(join(dir, 'status', 'default.chat.json'), 'utf8'),
        ) as ProviderPoolStatus;
      } catch {
        return undefined;
      }
    },
    async startOperator(port = 0) {
      const op = startCli(['operator', '--local', dir, '--sync-port', String(port), '--log-level', 'info']);
      cleanups.push(() => op.stop('SIGKILL'));
      w.operator = op;
      w.operatorUrl = String((await op.waitForLog('operator running in local mode')).url);
    },
    async startSidecar(id) {
      const p = startCli([
        'sidecar',
        '--operator',
        w.operatorUrl,
        '--pool',
        'default/chat',
        '--id',
        id,
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--state-dir',
        w.stateDir,
      ]);
      cleanups.push(() => p.stop('SIGKILL'));
      const url = String((await p.waitForLog('sidecar listening')).url);
      return { process: p, url, client: new OpenAI({ baseURL: url, apiKey: 'x', maxRetries: 0 }) };
    },
  };
  await w.startOperator();
  for (let i = 1; i <= sidecarCount; i++) w.sidecars.push(await w.startSidecar(`app-${i}`));
  return w;
}

const ask = (client: OpenAI) =>
  client.chat.completions
    .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();

async function readyWithAll(w: World, sidecars: number): Promise<ProviderPoolStatus> {
  let status: ProviderPoolStatus | undefined;
  await waitFor(
    `status to show ${sidecars} sidecars on the current configuration`,
    async () => {
      status = await w.status();
      return status?.sidecars?.onCurrentVersion === sidecars && status.conditions?.[0]?.status === 'True';
    },
    15_000,
  );
  return status as ProviderPoolStatus;
}

describe('the operator in local mode with sidecar processes', () => {
  it('publishes a pool to every sidecar, which serve it, and a change reaches them all and is acknowledged', async () => {
    const a = await mock('a');
    const b = await mock('b');
    const w = await world(poolYaml([a]));
    const first = await readyWithAll(w, 2);
    for (const s of w.sidecars)
      expect((await ask(s.client)).response.headers.get('x-switchboard-provider')).toBe('a');

    await writeFile(join(w.dir, 'pool.yaml'), poolYaml([b]));
    let status: ProviderPoolStatus | undefined;
    await waitFor(
      'the new configuration on both sidecars',
      async () => {
        status = await w.status();
        return status?.configVersion !== first.configVersion && status?.sidecars?.onCurrentVersion === 2;
      },
      15_000,
    );
    expect(status?.providers?.map((p) => p.name)).toEqual(['b']);
    for (const s of w.sidecars)
      expect((await ask(s.client)).response.headers.get('x-switchboard-provider')).toBe('b');
  });

  it('shows a configuration a sidecar refuses (NACK) in the pool’s Ready condition, and the sidecar keeps serving', async () => {
    const a = await mock('a');
    const w = await world(poolYaml([a]), 1);
    await readyWithAll(w, 1);
    const keyless = {
      name: 'keyed',
      type: 'openai',
      baseURL: a.url,
      apiKey: { env: 'SWITCHBOARD_TEST_UNSET_KEY' },
      models: [{ name: 'chat', model: 'm' }],
    };
    await writeFile(join(w.dir, 'pool.yaml'), poolYaml([a], {}, [keyless]));
    let status: ProviderPoolStatus | undefined;
    await waitFor(
      'Ready to report the refusal',
      async () => {
        status = await w.status();
        return status?.conditions?.[0]?.reason === 'ConfigRejected';
      },
      15_000,
    );
    expect(status?.conditions?.[0]).toMatchObject({
      status: 'False',
      message: expect.stringMatching(
        /^sidecar app-1 refused configuration [0-9a-f]{16}: .*SWITCHBOARD_TEST_UNSET_KEY/,
      ),
    });
    const served = w.sidecars[0];
    expect((await ask(served!.client)).response.headers.get('x-switchboard-provider')).toBe('a');
  });

  it('spreads a 429 cool-down one sidecar saw to the other sidecars of the pool', async () => {
    const limited = await mock('limited', { rateLimitRate: 1, retryAfterS: 60 });
    const ok = await mock('ok');
    const w = await world(poolYaml([limited, ok], { strategy: { type: 'weighted-round-robin' } }));
    await readyWithAll(w, 2);
    const [one, two] = w.sidecars;
    // Sidecar one meets the 429 (round-robin over two providers reaches "limited" within two requests).
    for (let i = 0; i < 2; i++) await ask(one!.client).catch(() => undefined);
    expect(limited.stats.requests).toBeGreaterThan(0);
    await waitFor(
      'the cool-down to show in status',
      async () => (await w.status())?.providers?.find((p) => p.name === 'limited')?.state === 'RateLimited',
      15_000,
    );
    // A 429 is the model's: the fleet cools that (provider, model), which here is every model of the provider.
    expect((await w.status())?.providers?.find((p) => p.name === 'limited')?.rateLimitedModels).toEqual([
      'chat',
    ]);
    const before = limited.stats.requests;
    for (let i = 0; i < 6; i++)
      expect((await ask(two!.client)).response.headers.get('x-switchboard-provider')).toBe('ok');
    expect(limited.stats.requests).toBe(before);
  });

  it('moves weight away from a provider that turns slow and gives it back once it recovers, from the sidecars’ reports', async () => {
    const fast = await mock('fast', { latencyMs: 10 });
    const slow = await mock('slow', { latencyMs: 10 });
    const w = await world(poolYaml([fast, slow]));
    await readyWithAll(w, 2);
    let running = true;
    const traffic = Promise.all(
      w.sidecars.map(async (s) => {
        while (running) await ask(s.client).catch(() => undefined);
      }),
    );
    try {
      const weightOf = async (name: string) =>
        (await w.status())?.providers?.find((p) => p.name === name)?.effectiveWeight ?? Number.NaN;
      await waitFor(
        'both providers measured',
        async () => (await w.status())?.providers?.every((p) => p.state === 'Healthy') === true,
        20_000,
      );
      slow.setBehaviour({ latencyMs: 300 });
      await waitFor(
        'the slow provider’s weight to fall below 0.3 (of 2)',
        async () => (await weightOf('slow')) < 0.3,
        40_000,
      );
      slow.setBehaviour({ latencyMs: 10 });
      // While the fleet holds the provider slow, the sidecars probe it (one request every 2-8 s from the fleet);
      // the first probe that answers at the usual speed ends the slowdown for every sidecar, the operator stops
      // scoring the provider on reports from before it, and its weight climbs back in bounded steps (2 s rounds):
      // 12-26 s on a busy 2-core machine (it was 30-65 s, waited for up to 150 s, while the sidecars' memory of
      // the slowdown had to fade).
      await waitFor(
        'the recovered provider’s weight to come back above 0.8',
        async () => (await weightOf('slow')) > 0.8,
        45_000,
      );
    } finally {
      running = false;
      await traffic;
    }
  }, 150_000);

  it('keeps serving while the operator is down (also across a sidecar restart), and resyncs when it is back', async () => {
    const a = await mock('a');
    const b = await mock('b');
    const w = await world(poolYaml([a]));
    await readyWithAll(w, 2);
    const port = Number(new URL(w.operatorUrl).port);
    await w.operator.stop('SIGKILL');
    for (const s of w.sidecars)
      expect((await ask(s.client)).response.headers.get('x-switchboard-provider')).toBe('a');

    await w.sidecars[0]!.process.stop('SIGKILL');
    const restarted = await w.startSidecar('app-1');
    expect((await ask(restarted.client)).response.headers.get('x-switchboard-provider')).toBe('a');

    await writeFile(join(w.dir, 'pool.yaml'), poolYaml([b]));
    await w.startOperator(port);
    await waitFor(
      'both sidecars on the new configuration',
      async () => {
        const status = await w.status();
        return status?.providers?.[0]?.name === 'b' && status.sidecars?.onCurrentVersion === 2;
      },
      20_000,
    );
    expect((await ask(restarted.client)).response.headers.get('x-switchboard-provider')).toBe('b');
    expect((await ask(w.sidecars[1]!.client)).response.headers.get('x-switchboard-provider')).toBe('b');
  });
});
