/**
 * `switchboard dashboard --kubeconfig FILE`: the demo's dashboard against a cluster, read-only, from the
 * ProviderPools' status the operator writes.
 */
import { parseArgs } from 'node:util';
import express from 'express';
import { dashboardRouter } from '../operator/dashboard/dashboard-router.ts';
import { kubePools } from '../operator/dashboard/kube-pools.ts';
import { providerPoolCollection } from '../operator/kube/collections.ts';
import { loadKubeConfig } from '../operator/kube/kube-config.ts';
import { checkReachable } from '../operator/kube/reachable.ts';
import { listenApp } from '../core/express-app.ts';
import { loggerFromFlag, parsePort, stopOnSignal } from './cli-support.ts';

export const DASHBOARD_USAGE = `switchboard dashboard [options]

Serves the live dashboard (read-only) for the ProviderPools of a cluster: per pool and provider the effective
weight, traffic share, latency, errors and 429s, and the pool's conditions and sidecars, from the status the
operator writes.

  --kubeconfig FILE   kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config, else the pod's service account)
  --context NAME      use this context of the kubeconfig instead of its current-context
  --namespace NS      show only this namespace's pools (default: all)
  --port P            where to serve the page (default 8080; 0 picks a free port)
  --host H            listen address (default 127.0.0.1)
  --log-level L       debug | info | warn | error (default info)
`;

export async function runDashboardCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(DASHBOARD_USAGE);
    return;
  }
  // Before anything starts: a signal during start-up then stops the command cleanly instead of killing it.
  const onShutdown = stopOnSignal();
  const logger = loggerFromFlag(values['log-level']);
  const config = loadKubeConfig({
    ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
    ...(values.context === undefined ? {} : { context: values.context }),
  });
  await checkReachable(config);
  const collection = providerPoolCollection(config, values.namespace);
  const app = express();
  app.disable('x-powered-by');
  app.use(dashboardRouter({ pools: kubePools(collection.listPage), logger }));
  const listening = await listenApp(app, parsePort(values.port, '--port'), values.host);
  const url = `http://${values.host}:${listening.port}/`;
  process.stdout.write(
    `switchboard dashboard (read-only) on ${url} for context "${config.getCurrentContext()}"` +
      `${values.namespace === undefined ? '' : `, namespace ${values.namespace}`}\n`,
  );
  logger.info('dashboard listening', { url, context: config.getCurrentContext() });
  onShutdown(() => {
    listening.server.closeAllConnections();
    return listening.close();
  });
}
