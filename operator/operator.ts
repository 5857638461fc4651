/**
 * The operator process: leader election, the ProviderPool controller, and its own HTTP endpoints
 * (/healthz, /readyz once the informers have synced, /metrics).
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  AuthenticationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ObjectReference,
} from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { systemClock, systemRng, type Clock } from '../core/clock.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { listenApp, type ListeningApp } from '../core/express-app.ts';
import { operatorApp } from './http/operator-app.ts';
import { contextNamespace, loadKubeConfig } from './kube/kube-config.ts';
import { checkReachable } from './kube/reachable.ts';
import { LeaderElector } from './leader/elector.ts';
import { PoolController } from './controller/pool-controller.ts';
import { REPORT_RETENTION_MS } from './control/fleet-round.ts';
import express from 'express';
import type { Dispatcher } from 'undici';
import { SyncHub, poolKeyString } from './sync/sync-hub.ts';
import { SyncMetrics } from './sync/sync-metrics.ts';
import { syncRoutes, type SyncAuth } from './sync/sync-routes.ts';
import { TokenReviewAuth } from './sync/token-review-auth.ts';
import { LeaderRelay } from './sync/leader-relay.ts';
import { leaderDispatcher } from './sync/leader-dispatcher.ts';
import { serviceAccountOf, type ServiceAccountName } from './sync/auth/service-account.ts';
import { apiServerTokenReviewer } from './sync/auth/token-reviewer.ts';
import { systemScheduler, type Scheduler } from './timing/scheduler.ts';
import type { CertificateSource } from './certs/serving-material.ts';
import { ManagedCertificates } from './certs/managed-certificates.ts';
import { CertificateFiles } from './certs/certificate-files.ts';
import { WebhookCaBundle } from './certs/webhook-ca-bundle.ts';
import { serviceDnsNames } from './certs/cert-policy.ts';
import { listenTlsApp } from './certs/tls-listener.ts';
import type { InjectionConfig } from './webhook/injection-config.ts';
import { parseServerVersion } from './webhook/inject-sidecar.ts';
import { poolLookup } from './webhook/pool-lookup.ts';
import { webhookRoutes } from './webhook/webhook-routes.ts';
import { describeKubeError } from './kube/api-error.ts';

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
  /**
   * Port of the sync channel for sidecars; 0 picks a free one; null serves none. Every replica serves sidecars;
   * a follower relays for its sidecars to the leader (operator/sync/leader-relay.ts).
   */
  readonly syncPort?: number | null;
  /** Address of the sync channel (default: `host`). In a pod: 0.0.0.0. */
  readonly syncHost?: string;
  /**
   * Where peer replicas reach this replica's sync channel when it leads (written on the Lease); default: the URL
   * it listens on. In a pod: http://$(POD_IP):7070.
   */
  readonly syncAdvertiseUrl?: string;
  /**
   * The token this replica presents when it relays to the leader as a follower: the operator's own projected
   * ServiceAccount token for audience `switchboard`, read for every call.
   */
  readonly relayToken?: () => Promise<string | undefined>;
  /**
   * The ServiceAccount whose tokens may relay (and sync any pool): the operator's own. Default: who this process
   * is to the API server (a SelfSubjectReview), when that is a ServiceAccount.
   */
  readonly relayAccount?: ServiceAccountName;
  /** HTTP client for relaying to the leader (e.g. an undici Agent trusting the operator's CA once the channel has TLS). */
  readonly relayDispatcher?: Dispatcher;
  /**
   * Who may use the sync channel. Default: a projected ServiceAccount token with audience `switchboard`, checked by
   * TokenReview, for pools of the token's own namespace only.
   */
  readonly syncAuth?: SyncAuth;
  /** How often each pool's fleet round runs (default 5 s). */
  readonly roundMs?: number;
  /** Shortest time between two status writes of a pool (default 10 s). */
  readonly statusIntervalMs?: number;
  /**
   * TLS for the sync channel and the injection webhook. Managed: the operator's own CA and serving certificate in
   * a Secret of its namespace (the leader issues and rotates them). Files: ca.crt, tls.crt, tls.key in a directory
   * someone else keeps fresh (cert-manager). None: plain-HTTP sync and no webhook (development).
   */
  readonly certificates?: ManagedCertificateOptions | { readonly mode: 'files'; readonly dir: string };
  /** The operator's own namespace (default: $POD_NAMESPACE, else as for the Lease). */
  readonly operatorNamespace?: string;
  /** Port of the injection webhook (HTTPS, every replica; default 9443; 0 picks a free one). Needs certificates. */
  readonly webhookPort?: number;
  /** Its listen address (default: `syncHost`, else `host`). */
  readonly webhookHost?: string;
  /** What the webhook injects; without it no webhook is served. */
  readonly injection?: InjectionConfig;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface ManagedCertificateOptions {
  readonly mode: 'managed';
  /** The Secret (in the operator's namespace) holding ca.crt, ca.key, tls.crt and tls.key. */
  readonly secretName: string;
  /** The Service in front of the operator: the serving certificate's names (NAME, NAME.NS, NAME.NS.svc, …). */
  readonly serviceName: string;
  /** The MutatingWebhookConfiguration whose caBundle the leader keeps equal to the CA. */
  readonly webhookConfigName?: string;
  /** Extra names and addresses in the serving certificate (a test's webhook URL on 127.0.0.1). */
  readonly extraDnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Lifetimes (defaults: CA 10 years, serving certificate 90 days, renewed at 2/3 of their life). */
  readonly caValidityMs?: number;
  readonly servingValidityMs?: number;
  /** How often the leader re-checks the caBundle (default 30 s). */
  readonly caBundleCheckMs?: number;
}

export interface RunningOperator {
  readonly identity: string;
  readonly url: string | undefined;
  /** Base URL of the sync channel, if served. */
  readonly syncUrl: string | undefined;
  /** Base URL of the injection webhook (POST /inject), if served. */
  readonly webhookUrl: string | undefined;
  /** The serving certificate source, when TLS is on. */
  readonly certificates: CertificateSource | undefined;
  readonly hub: SyncHub;
  readonly controller: PoolController;
  isLeader(): boolean;
  /** The leader's sync URL as the Lease says (undefined while this replica leads or none does). */
  leaderSyncUrl(): string | undefined;
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
  readonly certificateExpiry = new Gauge({
    name: 'switchboard_operator_serving_certificate_expiry_timestamp_seconds',
    help: 'When the serving certificate this replica serves (webhook and sync channel) expires, in Unix seconds.',
    registers: [this.registry],
  });
  readonly injections = new Counter({
    name: 'switchboard_operator_injections_total',
    help: 'Pods seen by the injection webhook, by result (injected, pool-missing, skipped, error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
}

function certificateSource(
  options: OperatorOptions,
  config: ReturnType<typeof loadKubeConfig>,
  namespace: string,
  scheduler: Scheduler,
  logger: Logger,
): CertificateSource | undefined {
  const certs = options.certificates;
  if (certs === undefined) return undefined;
  if (certs.mode === 'files') return new CertificateFiles({ dir: certs.dir, scheduler, logger });
  return new ManagedCertificates({
    config,
    namespace,
    secretName: certs.secretName,
    dnsNames: [...serviceDnsNames(certs.serviceName, namespace), ...(certs.extraDnsNames ?? [])],
    ...(certs.ipAddresses === undefined ? {} : { ipAddresses: certs.ipAddresses }),
    ...(certs.caValidityMs === undefined ? {} : { caValidityMs: certs.caValidityMs }),
    ...(certs.servingValidityMs === undefined ? {} : { servingValidityMs: certs.servingValidityMs }),
    ...(certs.caBundleCheckMs === undefined ? {} : { caBundleCheckMs: certs.caBundleCheckMs }),
    ...(certs.webhookConfigName === undefined
      ? {}
      : { caBundle: new WebhookCaBundle(config, certs.webhookConfigName, logger) }),
    scheduler,
    logger,
  });
}

/** The Lease annotation where the leader says where its sync channel is. */
export const SYNC_URL_ANNOTATION = 'switchboard.dev/sync-url';

/** Who this process is to the API server, if a ServiceAccount (SelfSubjectReview: every user may ask). */
async function ownServiceAccount(
  config: KubeConfig,
  logger: Logger,
): Promise<ServiceAccountName | undefined> {
  try {
    const review = await config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    return serviceAccountOf(review.status?.userInfo?.username ?? '');
  } catch (err) {
    logger.warn('could not learn this operator’s own identity: no replica may relay to it', {
      error: err instanceof Error ? err.message : String(err),
    });
    return undefined;
  }
}

export async function startOperator(options: OperatorOptions = {}): Promise<RunningOperator> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const config = loadKubeConfig(options);
  const serverVersion = await checkReachable(config);
  const identity = options.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const metrics = new OperatorMetrics();
  const scheduler: Scheduler = { clock, setTimer: systemScheduler.setTimer };
  const leaseNamespace = options.leaseNamespace ?? contextNamespace(config) ?? options.namespace ?? 'default';
  const ownNamespace =
    options.operatorNamespace ?? (process.env.POD_NAMESPACE || undefined) ?? leaseNamespace;
  const certificates = certificateSource(options, config, ownNamespace, scheduler, logger);
  const managed = certificates instanceof ManagedCertificates ? certificates : undefined;
  const hub = new SyncHub({
    scheduler,
    reportRetentionMs: REPORT_RETENTION_MS,
    onReport: (key, report, via) => {
      controller.loop(poolKeyString(key))?.onReport(report);
      relay.forwardReport(key, report, via);
    },
    onAck: (key, ack, via) => relay.forwardAck(key, ack, via),
    onMembership: (key) => relay.membershipChanged(key),
  });
  // Every replica starts as a follower: it serves the leader's word once it has it.
  hub.setFollowing(true);
  let advertisedSyncUrl: string | undefined;
  let stopping = false;
  const leaderSyncUrl = (): string | undefined =>
    elector.isLeader() || elector.leader === identity
      ? undefined
      : elector.leaderAnnotation(SYNC_URL_ANNOTATION);
  const relay = new LeaderRelay({
    hub,
    replica: identity,
    leaderUrl: leaderSyncUrl,
    ...(options.relayToken === undefined ? {} : { token: options.relayToken }),
    // With TLS, followers dial the leader's sync channel trusting the replicas' own CA.
    ...(options.relayDispatcher !== undefined
      ? { dispatcher: options.relayDispatcher }
      : certificates === undefined
        ? {}
        : { dispatcher: leaderDispatcher(certificates) }),
    rng: systemRng,
    logger,
  });
  const syncMetrics = new SyncMetrics(metrics.registry, hub);

  const controller: PoolController = new PoolController({
    config,
    scheduler,
    hub,
    ...(options.roundMs === undefined ? {} : { roundMs: options.roundMs }),
    ...(options.statusIntervalMs === undefined ? {} : { statusIntervalMs: options.statusIntervalMs }),
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
    namespace: leaseNamespace,
    name: options.leaseName ?? 'switchboard-operator',
    identity,
    ...(options.leaseDurationMs === undefined ? {} : { leaseDurationMs: options.leaseDurationMs }),
    ...(options.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: options.renewDeadlineMs }),
    ...(options.retryPeriodMs === undefined ? {} : { retryPeriodMs: options.retryPeriodMs }),
    logger,
    annotations: (): Record<string, string> =>
      advertisedSyncUrl === undefined ? {} : { [SYNC_URL_ANNOTATION]: advertisedSyncUrl },
    onStartedLeading: () => {
      metrics.leader.set(1);
      logger.info('became the leader: deciding for every replica’s sidecars and writing status', {
        identity,
      });
      void relay.stop();
      hub.setFollowing(false);
      controller.resyncAll();
      managed?.startLeading();
    },
    onStoppedLeading: () => {
      metrics.leader.set(0);
      logger.info('stopped leading: relaying to the new leader; sidecars stay connected', { identity });
      hub.disconnectRelays();
      hub.setFollowing(true);
      if (!stopping) relay.start();
      managed?.stopLeading();
    },
    onNewLeader: () => relay.leaderChanged(),
  });
  await certificates?.start();
  controller.start();

  let http: ListeningApp | undefined;
  let url: string | undefined;
  if (options.port !== null) {
    const app = operatorApp({
      // With TLS, not ready until a certificate is served (the Service then sends nothing to a replica that
      // would fail the handshake).
      ready: () =>
        controller.hasSynced() && (certificates === undefined || certificates.current() !== undefined),
      registry: metrics.registry,
      beforeScrape: () => {
        metrics.queueDepth.set(controller.queueDepth);
        const served = certificates?.current()?.certPem;
        if (served !== undefined)
          metrics.certificateExpiry.set(Date.parse(new X509Certificate(served).validTo) / 1000);
      },
    });
    const host = options.host ?? '127.0.0.1';
    http = await listenApp(app, options.port ?? 0, host);
    url = `http://${host}:${http.port}`;
  }
  let sync: ListeningApp | undefined;
  let syncUrl: string | undefined;
  if (options.syncPort !== undefined && options.syncPort !== null) {
    const app = express();
    app.disable('x-powered-by');
    const relayAccount =
      options.relayAccount ?? (options.syncAuth ? undefined : await ownServiceAccount(config, logger));
    app.use(
      syncRoutes({
        hub,
        auth:
          options.syncAuth ??
          new TokenReviewAuth({
            reviewer: apiServerTokenReviewer(config),
            clock,
            logger,
            ...(relayAccount === undefined ? {} : { relayAccount }),
          }),
        logger,
        leading: () => elector.isLeader(),
        onRefused: (status) => syncMetrics.refused.inc({ status }),
      }),
    );
    const host = options.syncHost ?? options.host ?? '127.0.0.1';
    sync =
      certificates === undefined
        ? await listenApp(app, options.syncPort, host)
        : await listenTlsApp(app, options.syncPort, host, certificates);
    syncUrl = `${certificates === undefined ? 'http' : 'https'}://${host}:${sync.port}`;
    advertisedSyncUrl = options.syncAdvertiseUrl ?? syncUrl;
  }
  let webhook: ListeningApp | undefined;
  let webhookUrl: string | undefined;
  if (certificates !== undefined && options.injection !== undefined) {
    const core = config.makeApiClient(CoreV1Api);
    const app = express();
    app.disable('x-powered-by');
    app.get('/healthz', (_req, res) => void res.type('text').send('ok'));
    app.use(
      webhookRoutes({
        config: options.injection,
        lookupPool: poolLookup(config, (ns, name) => controller.cachedPool(ns, name)),
        serverVersion: parseServerVersion(serverVersion),
        operatorCaPem: () => certificates.current()?.caPem,
        recordWarning: (namespace, about, message) =>
          recordWarning(core, namespace, about, message, clock.now()).catch((err: unknown) =>
            logger.warn('could not record an event', { error: describeKubeError(err) }),
          ),
        onDecision: (result) => metrics.injections.inc({ result }),
        logger,
      }),
    );
    const host = options.webhookHost ?? options.syncHost ?? options.host ?? '127.0.0.1';
    webhook = await listenTlsApp(app, options.webhookPort ?? 9443, host, certificates);
    webhookUrl = `https://${host}:${webhook.port}`;
  } else if (certificates !== undefined) {
    logger.info('no injection config: the injection webhook is not served');
  }
  // Campaign once the sync channel's address is known, so the Lease says where the leader serves.
  elector.start();
  relay.start();
  logger.info('operator started', {
    identity,
    context: config.getCurrentContext(),
    server: config.getCurrentCluster()?.server,
    serverVersion,
    namespace: options.namespace ?? '(all)',
    url: url ?? null,
    sync: syncUrl ?? null,
    webhook: webhookUrl ?? null,
    tls: options.certificates?.mode ?? 'off',
  });

  return {
    identity,
    url,
    syncUrl,
    webhookUrl,
    certificates,
    hub,
    controller,
    isLeader: () => elector.isLeader(),
    leaderSyncUrl,
    async stop(stopOptions = {}) {
      stopping = true;
      await relay.stop();
      await elector.stop(stopOptions);
      await controller.stop();
      hub.disconnectAll();
      await Promise.all([http?.close(), sync?.close(), webhook?.close()]);
      await certificates?.stop();
    },
  };
}

/** A Warning Event about a pod admitted whose pool does not exist (on its owner, e.g. the ReplicaSet). */
async function recordWarning(
  core: CoreV1Api,
  namespace: string,
  about: V1ObjectReference,
  message: string,
  now: number,
): Promise<void> {
  const at = new Date(now);
  await core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { generateName: `${about.name ?? 'pod'}.`, namespace },
      involvedObject: about,
      type: 'Warning',
      reason: 'ProviderPoolNotFound',
      message: message.slice(0, 1024),
      source: { component: 'switchboard-injector' },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    },
  });
}
