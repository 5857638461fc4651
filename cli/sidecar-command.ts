import { readFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { DEFAULT_SECRETS_DIR } from '../sidecar/config/resolve-secrets.ts';
import type { Logger } from '../core/log.ts';
import { startSidecar } from '../sidecar/sidecar.ts';
import { OperatorPoolSource } from '../sidecar/source/operator-pool-source.ts';
import { SnapshotStore } from '../sidecar/sync/snapshot-store.ts';
import { systemRng } from '../core/clock.ts';
import { loggerFromFlag, parsePort, stopOnSignal } from './cli-support.ts';
import { settleHeapAfterStart } from './settle-heap.ts';

export const SIDECAR_USAGE = `switchboard sidecar --pool FILE [options]
switchboard sidecar --operator URL --pool NAMESPACE/NAME [options]

Serves the OpenAI API on 127.0.0.1 and balances requests over the providers of a ProviderPool: from a file
(edits are applied live), or from the operator, which pushes the pool with cluster-wide weights and cool-downs
and receives this sidecar's reports. In a pod every flag can come from the environment variable named.

  --pool FILE|NS/NAME  ProviderPool manifest (YAML), or the pool's namespace/name with --operator  [SWITCHBOARD_POOL]
  --operator URL       the operator's sync channel, e.g. http://127.0.0.1:7070    [SWITCHBOARD_OPERATOR_URL]
  --id ID              this sidecar's name in reports (default: $POD_NAME, else the host name) [SWITCHBOARD_SIDECAR_ID]
  --token-file FILE    bearer token for the operator, re-read on every call (a projected ServiceAccount token)
                                                                              [SWITCHBOARD_TOKEN_FILE]
  --operator-ca FILE   CA certificate (PEM) to trust for an https operator     [SWITCHBOARD_OPERATOR_CA]
                       or the PEM itself in the environment (the injector sets it) [SWITCHBOARD_OPERATOR_CA_PEM]
  --state-dir DIR      where the last configuration is kept for restarts (default: the system temp dir)
                                                                              [SWITCHBOARD_STATE_DIR]
  --port P             API port (default 4000; 0 picks a free port)
  --metrics-port M     Prometheus /metrics port (default 9464; 0 picks a free port)
  --host H             listen address (default 127.0.0.1)
  --metrics-host H     listen address of the metrics port, which also serves /healthz and /readyz
                       (default: --host; 0.0.0.0 in a pod, for the kubelet's probes)
  --secrets-dir DIR    where Secrets are mounted (default ${DEFAULT_SECRETS_DIR})
  --log-level L        debug | info | warn | error (default info)
`;

const env = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
};

async function operatorSource(
  operatorUrl: string,
  pool: string,
  values: { id?: string; 'token-file'?: string; 'operator-ca'?: string; 'state-dir'?: string },
  logger: Logger,
): Promise<OperatorPoolSource> {
  const [namespace, name, ...rest] = pool.split('/');
  if (namespace === undefined || name === undefined || rest.length > 0 || namespace === '' || name === '')
    throw new Error(`--pool must be NAMESPACE/NAME with --operator, not "${pool}"`);
  const sidecarId = values.id ?? env('SWITCHBOARD_SIDECAR_ID') ?? env('POD_NAME') ?? hostname();
  const tokenFile = values['token-file'] ?? env('SWITCHBOARD_TOKEN_FILE');
  const caFile = values['operator-ca'] ?? env('SWITCHBOARD_OPERATOR_CA');
  const caPem = caFile === undefined ? env('SWITCHBOARD_OPERATOR_CA_PEM') : await readFile(caFile, 'utf8');
  const stateDir = values['state-dir'] ?? env('SWITCHBOARD_STATE_DIR') ?? join(tmpdir(), 'switchboard');
  return new OperatorPoolSource({
    operatorUrl,
    namespace,
    pool: name,
    sidecarId,
    rng: systemRng,
    logger,
    store: new SnapshotStore(join(stateDir, `${namespace}.${name}.${sidecarId}.json`)),
    ...(tokenFile === undefined
      ? {}
      : { token: async () => (await readFile(tokenFile, 'utf8')).trim() || undefined }),
    ...(caPem === undefined ? {} : { dispatcher: new Agent({ connect: { ca: caPem } }) }),
  });
}

export async function runSidecarCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pool: { type: 'string' },
      operator: { type: 'string' },
      id: { type: 'string' },
      'token-file': { type: 'string' },
      'operator-ca': { type: 'string' },
      'state-dir': { type: 'string' },
      port: { type: 'string', default: '4000' },
      'metrics-port': { type: 'string', default: '9464' },
      host: { type: 'string', default: '127.0.0.1' },
      'metrics-host': { type: 'string' },
      'secrets-dir': { type: 'string', default: DEFAULT_SECRETS_DIR },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SIDECAR_USAGE);
    return;
  }
  // Before anything starts: a signal during start-up then stops the command cleanly instead of killing it.
  const onShutdown = stopOnSignal();
  const pool = values.pool ?? env('SWITCHBOARD_POOL');
  if (pool === undefined) throw new Error(`--pool is required\n\n${SIDECAR_USAGE}`);
  const operatorUrl = values.operator ?? env('SWITCHBOARD_OPERATOR_URL');
  const logger = loggerFromFlag(values['log-level']);
  const source =
    operatorUrl === undefined ? undefined : await operatorSource(operatorUrl, pool, values, logger);
  const sidecar = await startSidecar({
    ...(source === undefined ? { poolFile: pool } : { source, sidecarId: source.sidecarId }),
    host: values.host,
    ...(values['metrics-host'] === undefined ? {} : { metricsHost: values['metrics-host'] }),
    port: parsePort(values.port, '--port'),
    metricsPort: parsePort(values['metrics-port'], '--metrics-port'),
    secrets: { secretsDir: values['secrets-dir'] },
    logger,
  });
  settleHeapAfterStart();
  process.on('SIGHUP', () => void sidecar.reload());
  onShutdown(async () => {
    logger.info('shutting down: finishing requests in flight');
    await sidecar.close();
  });
}
