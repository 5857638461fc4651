/**
 * The operator process: leader election, the ProviderPool controller, and its own HTTP endpoints
 * (/healthz, /readyz once the informers have synced, /metrics).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { systemClock, type Clock } from '../sidecar/core/clock.ts';
import { createLogger, type Logger } from '../sidecar/core/log.ts';
import { KubeClient } from './kube/client.ts';
import { loadInCluster, loadKubeconfig, type KubeConfig } from './kube/config.ts';
import { LeaderElector } from './leader/elector.ts';
import { PoolController } from './controller/pool-controller.ts';

export interface OperatorOptions {
  /** A kubeconfig file; in-cluster configuration when undefined. */
  readonly kubeconfig?: string;
  /** Watch only this namespace; all namespaces when undefined. */
  readonly namespace?: string;
  /** Namespace of the leader-election Lease (default: the kubeconfig's or pod's namespace, else "default"). */
  readonly leaseNamespace?: string;
  readonly leaseName?: string;
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly host?: string;
  /** Port of /healthz, /readyz and /metrics; 0 picks a free one; null serves none. */
  readonly port?: number | null;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface RunningOperator {
  readonly identity: string;
  readonly url: string | undefined;
  readonly controller: PoolController;
  isLeader(): boolean;
  stop(options?: { release?: boolean }): Promise<void>;
}

class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'switchboard_operator_reconciles_total',
    help: 'ProviderPool reconciles, by result (ok or error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'switchboard_operator_reconcile_duration_seconds',
    help: 'Time one ProviderPool reconcile took, status write included.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'switchboard_operator_queue_depth',
    help: 'ProviderPool keys waiting in the work queue.',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'switchboard_operator_is_leader',
    help: '1 while this replica holds the leader-election Lease (and writes status), else 0.',
    registers: [this.registry],
  });
}

export async function startOperator(options: OperatorOptions = {}): Promise<RunningOperator> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const config: KubeConfig = options.kubeconfig
    ? await loadKubeconfig(options.kubeconfig, { clock })
    : await loadInCluster({ clock });
  const client = new KubeClient(config);
  const identity = options.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const metrics = new OperatorMetrics();

  const controller = new PoolController({
    client,
    clock,
    namespace: options.namespace,
    // Read only once workers run, after `elector` below exists.
    isLeader: () => elector.isLeader(),
    logger,
    onReconcile: (_key, result, ms) => {
      metrics.reconciles.inc({ result });
      metrics.reconcileDuration.observe(ms / 1000);
    },
  });
  const elector = new LeaderElector({
    client,
    namespace: options.leaseNamespace ?? config.namespace ?? options.namespace ?? 'default',
    name: options.leaseName ?? 'switchboard-operator',
    identity,
    ...(options.leaseDurationMs === undefined ? {} : { leaseDurationMs: options.leaseDurationMs }),
    ...(options.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: options.renewDeadlineMs }),
    ...(options.retryPeriodMs === undefined ? {} : { retryPeriodMs: options.retryPeriodMs }),
    logger,
    onStartedLeading: () => {
      metrics.leader.set(1);
      logger.info('became the leader: writing status', { identity });
      controller.resyncAll();
    },
    onStoppedLeading: () => {
      metrics.leader.set(0);
      logger.info('stopped leading', { identity });
    },
  });
  controller.start();
  elector.start();

  let server: Server | undefined;
  let url: string | undefined;
  if (options.port !== null) {
    server = createServer((req, res) => {
      if (req.url === '/healthz') return void res.writeHead(200).end('ok');
      if (req.url === '/readyz') {
        return void res
          .writeHead(controller.hasSynced() ? 200 : 503)
          .end(controller.hasSynced() ? 'ok' : 'syncing');
      }
      if (req.url === '/metrics') {
        metrics.queueDepth.set(controller.queueDepth);
        void metrics.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
        });
        return;
      }
      res.writeHead(404).end();
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve) => server?.listen(options.port ?? 0, host, resolve));
    url = `http://${host}:${(server.address() as AddressInfo).port}`;
  }
  logger.info('operator started', { identity, namespace: options.namespace ?? '(all)', url: url ?? null });

  return {
    identity,
    url,
    controller,
    isLeader: () => elector.isLeader(),
    async stop(stopOptions = {}) {
      await elector.stop(stopOptions);
      await controller.stop();
      if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
      await client.close();
    },
  };
}
