import { parseArgs } from 'node:util';
import { DEFAULT_SECRETS_DIR } from '../sidecar/config/resolve-secrets.ts';
import { startSidecar } from '../sidecar/sidecar.ts';
import { loggerFromFlag, onShutdown, parsePort } from './cli-support.ts';

export const SIDECAR_USAGE = `switchboard sidecar --pool FILE [options]

Serves the OpenAI API on 127.0.0.1 and balances requests over the providers of a ProviderPool file.

  --pool FILE          ProviderPool manifest (YAML); edits are applied live
  --port P             API port (default 4000; 0 picks a free port)
  --metrics-port M     Prometheus /metrics port (default 9464; 0 picks a free port)
  --host H             listen address (default 127.0.0.1)
  --secrets-dir DIR    where Secrets are mounted (default ${DEFAULT_SECRETS_DIR})
  --log-level L        debug | info | warn | error (default info)
`;

export async function runSidecarCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pool: { type: 'string' },
      port: { type: 'string', default: '4000' },
      'metrics-port': { type: 'string', default: '9464' },
      host: { type: 'string', default: '127.0.0.1' },
      'secrets-dir': { type: 'string', default: DEFAULT_SECRETS_DIR },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SIDECAR_USAGE);
    return;
  }
  if (!values.pool) throw new Error(`--pool is required\n\n${SIDECAR_USAGE}`);
  const logger = loggerFromFlag(values['log-level']);
  const sidecar = await startSidecar({
    poolFile: values.pool,
    host: values.host,
    port: parsePort(values.port, '--port'),
    metricsPort: parsePort(values['metrics-port'], '--metrics-port'),
    secrets: { secretsDir: values['secrets-dir'] },
    logger,
  });
  process.on('SIGHUP', () => void sidecar.reload());
  onShutdown(async () => {
    logger.info('shutting down: finishing requests in flight');
    await sidecar.close();
  });
}
