/**
 * The operator process: leader election, the ProviderPool controller, and its own HTTP endpoints
 * (/healthz, /readyz once the informers have synced, /metrics).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { systemClock, type Clock } from '../sidecar/core/clock.ts';
import { createLogger, type Logger } from '../sidecar/core/log.ts';
import { listenApp, type ListeningApp } from '../sidecar/core/express-app.ts';
import { operatorApp } from './http/operator-app.ts';
import { contextNamespace, loadKubeConfig } from './kube/kube-config.ts';
import { checkReachable } from './kube/reachable.ts';
import { LeaderElector } from './leader/elector.ts';
import { PoolController } from './controller/pool-controller.ts';

export interface OperatorOptions {
  /** A kubeconfig file; undefined: $KUBECONFIG, ~/.kube/config, else in-cluster (client-node's loadFromDefault). */
  readonly kubeconfig?: string;
  /** A context of that configuration instead of its current-context. */
  readonly context?: string;
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
  const config = loadKubeConfig(options);
  const serverVersion = await checkReachable(config);
  const identity = options.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const metrics = new OperatorMetrics();

  const controller = new PoolController({
    config,
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
    leases: config.makeApiClient(CoordinationV1Api),
    namespace: options.leaseNamespace ?? contextNamespace(config) ?? options.namespace ?? 'default',
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

  let http: ListeningApp | undefined;
  let url: string | undefined;
  if (options.port !== null) {
    const app = operatorApp({
      ready: () => controller.hasSynced(),
      registry: metrics.registry,
      beforeScrape: () => metrics.queueDepth.set(controller.queueDepth),
    });
    const host = options.host ?? '127.0.0.1';
    http = await listenApp(app, options.port ?? 0, host);
    url = `http://${host}:${http.port}`;
  }
  logger.info('operator started', {
    identity,
    context: config.getCurrentContext(),
    server: config.getCurrentCluster()?.server,
    serverVersion,
    namespace: options.namespace ?? '(all)',
    url: url ?? null,
  });

  return {
    identity,
    url,
    controller,
    isLeader: () => elector.isLeader(),
    async stop(stopOptions = {}) {
      await elector.stop(stopOptions);
      await controller.stop();
      await http?.close();
    },
  };
}
