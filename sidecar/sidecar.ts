/**
 * The sidecar's composition root: a PoolSource (a ProviderPool file, or the operator's sync channel) feeds a
 * RuntimeHolder; the API server routes requests over the current runtime; metrics on their own port; and, when
 * the source is the operator, a FleetReporter sends reports back.
 */
import { systemClock, systemRng, type Clock, type Rng } from '../core/clock.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { DEFAULT_SECRETS_DIR, type SecretSources } from './config/resolve-secrets.ts';
import { SidecarMetrics } from './metrics/metrics.ts';
import type { PoolRuntime } from './routing/pool-runtime.ts';
import { RuntimeHolder } from './routing/runtime-holder.ts';
import { metricsHandler } from './metrics/metrics-server.ts';
import { createRequestHandler, readiness } from './server/routes.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './server/http-limits.ts';
import { startHttpServer, type RunningHttpServer } from './server/http-server.ts';
import { FilePoolSource } from './source/file-pool-source.ts';
import type { PoolSource } from './source/pool-source.ts';
import { FleetReporter } from './sync/fleet-reporter.ts';
import { ReportCollector } from './sync/report-collector.ts';
import { reportObserver } from './sync/report-observer.ts';

export interface SidecarOptions {
  /** A ProviderPool file (standalone); or give `source`. */
  readonly poolFile?: string;
  /** Where the pool comes from, when not a file (e.g. an OperatorPoolSource). */
  readonly source?: PoolSource;
  /** Identity in reports to the operator (the pod name in a cluster). */
  readonly sidecarId?: string;
  /** How often reports go to the operator (default 5 s). */
  readonly reportIntervalMs?: number;
  readonly host?: string;
  /** Listen address of the metrics port (with /healthz and /readyz): default `host`; 0.0.0.0 in a pod. */
  readonly metricsHost?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Metrics port; 0 picks a free one; null serves no metrics endpoint. */
  readonly metricsPort?: number | null;
  /** Watch the pool file for changes (default true). */
  readonly watch?: boolean;
  readonly secrets?: Partial<SecretSources>;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly logger?: Logger;
  /** Timeouts and drain bounds of the API server; each defaults to DEFAULT_HTTP_LIMITS (server/http-limits.ts). */
  readonly http?: Partial<HttpLimits>;
}

export interface RunningSidecar {
  /** Base URL for OpenAI clients, ending in /v1. */
  readonly url: string;
  readonly port: number;
  readonly metricsUrl: string | undefined;
  readonly metrics: SidecarMetrics;
  readonly source: PoolSource;
  /** The running runtime; throws while no pool has been applied yet (an operator source still connecting). */
  runtime(): PoolRuntime;
  /** The version of the configuration being served, if any. */
  version(): string | undefined;
  /** Re-reads the pool file now (file sources); resolves to true when a new config was applied. */
  reload(): Promise<boolean>;
  /**
   * A graceful stop: stops accepting, lets requests in flight finish (then closes their connections) for up to
   * `http.shutdownDrainMs`, closes what is left, then the provider connections. Calling it again waits for the same stop.
   */
  close(): Promise<void>;
}

function sourceOf(options: SidecarOptions, logger: Logger, metrics: SidecarMetrics): PoolSource {
  if (options.source !== undefined) return options.source;
  if (options.poolFile === undefined) throw new Error('a sidecar needs a pool file or a pool source');
  return new FilePoolSource(options.poolFile, {
    watch: options.watch !== false,
    logger,
    onReload: (result) => metrics.configReloads.inc({ result }),
  });
}

export async function startSidecar(options: SidecarOptions): Promise<RunningSidecar> {
  const clock = options.clock ?? systemClock;
  const rng = options.rng ?? systemRng;
  const logger = options.logger ?? createLogger();
  const metrics = new SidecarMetrics();
  const source = sourceOf(options, logger, metrics);
  const post = source.postReport?.bind(source);
  const collector =
    post === undefined ? undefined : new ReportCollector(options.sidecarId ?? 'sidecar', clock.now());
  const reporter: FleetReporter | undefined =
    post === undefined || collector === undefined
      ? undefined
      : new FleetReporter({
          collector,
          post,
          runtime: () => holder.current,
          version: () => holder.version,
          clock,
          logger,
          ...(options.reportIntervalMs === undefined ? {} : { intervalMs: options.reportIntervalMs }),
        });
  const holder: RuntimeHolder = new RuntimeHolder({
    secrets: {
      env: options.secrets?.env ?? process.env,
      secretsDir: options.secrets?.secretsDir ?? DEFAULT_SECRETS_DIR,
    },
    clock,
    rng,
    metrics,
    logger,
    ...(reporter === undefined
      ? {}
      : {
          onLocalCoolDown: (p: string, until: number, model?: string) =>
            reporter.coolDownStarted(p, until, model),
        }),
  });
  await source.start((document) => holder.apply(document));
  reporter?.start();

  const host = options.host ?? '127.0.0.1';
  const metricsHost = options.metricsHost ?? host;
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
  const server = await startHttpServer(
    createRequestHandler({
      runtime: () => holder.current,
      clock,
      rng,
      metrics,
      logger,
      limits,
      notReadyReason: () => source.problem(),
      ...(collector === undefined ? {} : { observers: [reportObserver(collector)] }),
    }),
    { host, port: options.port ?? 0, limits },
  );
  const port = server.port;

  const metricsServer: RunningHttpServer | undefined =
    options.metricsPort === null
      ? undefined
      : await startHttpServer(
          metricsHandler(metrics.registry, () => readiness(holder.current, () => source.problem())),
          { host: metricsHost, port: options.metricsPort ?? 0, limits },
        );
  const metricsUrl = metricsServer && `http://${metricsHost}:${metricsServer.port}/metrics`;
  let closing: Promise<void> | undefined;
  logger.info('sidecar listening', {
    url: `http://${host}:${port}/v1`,
    metrics: metricsUrl ?? null,
    pool: source.description,
  });

  return {
    url: `http://${host}:${port}/v1`,
    port,
    metricsUrl,
    metrics,
    source,
    runtime: () => {
      const runtime = holder.current;
      if (runtime === undefined) throw new Error(`no pool applied yet: ${source.problem() ?? 'starting'}`);
      return runtime;
    },
    version: () => holder.version,
    reload: () => (source instanceof FilePoolSource ? source.reload() : Promise.resolve(false)),
    close() {
      closing ??= (async () => {
        await reporter?.stop();
        await source.close();
        await Promise.all([server.close(), metricsServer?.close()]);
        await Promise.all([...(holder.current?.providers.values() ?? [])].map((p) => p.close()));
      })();
      return closing;
    },
  };
}
