/**
 * The whole system on one machine, in one process: the demo's mock providers, the operator in local mode on the
 * demo pool (with the dashboard on its port), sidecars fed by the operator's sync channel, and optionally a
 * gentle load. `close()` stops everything, traffic first.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startMockProvider, type MockProvider } from '../../mock-provider/server.ts';
import { localDashboard } from '../../operator/dashboard/local-dashboard.ts';
import { DEFAULT_FLEET_ROUND_SETTINGS, type FleetRoundSettings } from '../../operator/control/fleet-round.ts';
import { startLocalOperator, type RunningLocalOperator } from '../../operator/local/local-operator.ts';
import { systemRng } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { startSidecar, type RunningSidecar } from '../../sidecar/sidecar.ts';
import { OperatorPoolSource } from '../../sidecar/source/operator-pool-source.ts';
import { DEMO_POOL, DEMO_PROVIDERS, demoPoolYaml } from './demo-providers.ts';
import { mockFaults } from './demo-faults.ts';
import { startLoad, type LoadGenerator } from './load-generator.ts';

export interface DemoOptions {
  /** Where the pool file is written (the operator's pool directory). */
  readonly dir: string;
  /** The operator's port: dashboard and sync channel (0 picks a free one). */
  readonly port: number;
  /** The first sidecar's API port (the others pick free ones). */
  readonly sidecarPort: number;
  /** The first sidecar's metrics port; the others pick free ones. */
  readonly metricsPort: number;
  readonly sidecars: number;
  /** Requests per second of the built-in app; undefined: none. */
  readonly rps: number | undefined;
  readonly logger: Logger;
  /** Control loop round and sidecar report interval (default 1 s: the demo should react visibly). */
  readonly roundMs?: number;
}

export interface RunningDemo {
  readonly dashboardUrl: string;
  readonly operator: RunningLocalOperator;
  readonly poolFile: string;
  readonly mocks: ReadonlyMap<string, MockProvider>;
  readonly sidecars: readonly RunningSidecar[];
  readonly load: LoadGenerator | undefined;
  close(): Promise<void>;
}

/** Faster than a cluster's defaults, so a fault and its recovery show within seconds. */
const DEMO_SETTINGS: FleetRoundSettings = {
  windowMs: 10_000,
  reweight: {
    ...DEFAULT_FLEET_ROUND_SETTINGS.reweight,
    slowStartMs: 10_000,
    scoreMemoryMs: 15_000,
    maxStep: 0.2,
  },
};

const FIRST_CONFIG_MS = 15_000;

async function untilConfigured(sidecars: readonly RunningSidecar[]): Promise<void> {
  const deadline = Date.now() + FIRST_CONFIG_MS;
  while (sidecars.some((s) => s.version() === undefined)) {
    if (Date.now() > deadline) throw new Error('the sidecars got no configuration from the operator');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { logger } = options;
  const roundMs = options.roundMs ?? 1_000;
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const mocks = new Map<string, MockProvider>();
    for (const [i, p] of DEMO_PROVIDERS.entries()) {
      const mock = await startMockProvider({
        name: p.name,
        dialect: p.dialect,
        seed: i + 1,
        behaviour: p.behaviour,
      });
      closers.push(() => mock.close());
      mocks.set(p.name, mock);
    }
    const dir = resolve(options.dir);
    await mkdir(dir, { recursive: true });
    const poolFile = resolve(dir, 'pool.yaml');
    await writeFile(poolFile, demoPoolYaml(new Map([...mocks].map(([name, m]) => [name, m.url]))));

    const operator = await startLocalOperator({
      dir,
      port: options.port,
      logger,
      roundMs,
      statusIntervalMs: roundMs,
      settings: DEMO_SETTINGS,
      extend: localDashboard({ logger, faults: mockFaults(mocks), pushIntervalMs: roundMs }),
    });
    closers.push(() => operator.close());

    const sidecars: RunningSidecar[] = [];
    for (let i = 0; i < options.sidecars; i++) {
      const sidecarId = `app-${i + 1}`;
      const sidecar = await startSidecar({
        source: new OperatorPoolSource({
          operatorUrl: operator.url,
          namespace: DEMO_POOL.namespace,
          pool: DEMO_POOL.name,
          sidecarId,
          rng: systemRng,
          logger,
        }),
        sidecarId,
        port: i === 0 ? options.sidecarPort : 0,
        metricsPort: i === 0 ? options.metricsPort : 0,
        reportIntervalMs: roundMs,
        logger,
      });
      closers.push(() => sidecar.close());
      sidecars.push(sidecar);
    }
    await untilConfigured(sidecars);

    const load =
      options.rps === undefined
        ? undefined
        : startLoad(
            sidecars.map((s) => s.url),
            options.rps,
          );
    if (load !== undefined) closers.push(() => load.stop());
    return { dashboardUrl: `${operator.url}/`, operator, poolFile, mocks, sidecars, load, close };
  } catch (err) {
    await close();
    throw err;
  }
}
