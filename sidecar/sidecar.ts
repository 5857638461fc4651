/**
 * A standalone sidecar: loads a ProviderPool file, serves the OpenAI API on one port and Prometheus metrics on
 * another, and reloads the pool when the file changes (keeping breaker and load state of what stays).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProviderPool } from '../api/v1alpha1/providerpool.ts';
import { systemClock, systemRng, type Clock, type Rng } from './core/clock.ts';
import { createLogger, type Logger } from './core/log.ts';
import { parsePoolYaml } from './config/load-pool.ts';
import { DEFAULT_SECRETS_DIR, type SecretSources } from './config/resolve-secrets.ts';
import { watchFile } from './config/watch-file.ts';
import { SidecarMetrics } from './metrics/metrics.ts';
import { buildPoolRuntime, type PoolRuntime } from './routing/pool-runtime.ts';
import { createRequestHandler } from './server/routes.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './server/http-limits.ts';
import { startHttpServer, type RunningHttpServer } from './server/http-server.ts';
import type { BreakerTransition } from './breaker/circuit-breaker.ts';

export interface SidecarOptions {
  readonly poolFile: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Metrics port; 0 picks a free one; null serves no metrics endpoint. */
  readonly metricsPort?: number | null;
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
  runtime(): PoolRuntime;
  /** Re-reads the pool file now; resolves to true when a new config was applied. */
  reload(): Promise<boolean>;
  /**
   * A graceful stop: stops accepting, lets requests in flight finish (then closes their connections) for up to
   * `http.shutdownDrainMs`, closes what is left, then the provider connections. Calling it again waits for the same stop.
   */
  close(): Promise<void>;
}

export async function startSidecar(options: SidecarOptions): Promise<RunningSidecar> {
  const clock = options.clock ?? systemClock;
  const rng = options.rng ?? systemRng;
  const logger = options.logger ?? createLogger();
  const metrics = new SidecarMetrics();
  const secrets: SecretSources = {
    env: options.secrets?.env ?? process.env,
    secretsDir: options.secrets?.secretsDir ?? DEFAULT_SECRETS_DIR,
  };
  const onBreakerTransition = (provider: string, t: BreakerTransition) => {
    metrics.setBreakerState(provider, t.to);
    logger.warn('circuit breaker transition', { provider, from: t.from, to: t.to, reason: t.reason });
  };

  let current: PoolRuntime | undefined;
  let currentHash = '';
  const apply = (pool: ProviderPool): void => {
    const previous = current;
    const next = buildPoolRuntime(pool, previous, { secrets, rng, now: clock.now(), onBreakerTransition });
    for (const [name, provider] of previous?.providers ?? []) {
      if (!next.providers.has(name))
        metrics.forgetProvider(
          name,
          provider.spec.models.map((m) => m.name),
        );
    }
    for (const [model, targets] of next.models) {
      for (const t of targets) metrics.weight.set({ provider: t.provider.name, model }, t.weight);
    }
    for (const [name, provider] of next.providers)
      metrics.setBreakerState(name, provider.breaker.state(clock.now()));
    current = next;
  };

  const load = async (): Promise<boolean> => {
    const text = await readFile(options.poolFile, 'utf8');
    const hash = createHash('sha256').update(text).digest('hex');
    if (hash === currentHash) return false;
    apply(parsePoolYaml(text, options.poolFile));
    currentHash = hash;
    return true;
  };
  await load(); // a bad file at start is fatal: the error lists every problem

  const reload = async (): Promise<boolean> => {
    try {
      const applied = await load();
      if (applied) {
        metrics.configReloads.inc({ result: 'applied' });
        logger.info('pool configuration reloaded', { file: options.poolFile });
      }
      return applied;
    } catch (err) {
      metrics.configReloads.inc({ result: 'rejected' });
      logger.error('pool configuration rejected; keeping the previous one', {
        file: options.poolFile,
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  };
  const stopWatching = options.watch === false ? () => {} : watchFile(options.poolFile, () => void reload());

  const host = options.host ?? '127.0.0.1';
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
  const server = await startHttpServer(
    createRequestHandler({ runtime: () => current, clock, rng, metrics, logger, limits }),
    { host, port: options.port ?? 0, limits },
  );
  const port = server.port;

  let metricsServer: RunningHttpServer | undefined;
  let metricsUrl: string | undefined;
  if (options.metricsPort !== null) {
    const serveMetrics = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      });
    };
    metricsServer = await startHttpServer(serveMetrics, { host, port: options.metricsPort ?? 0, limits });
    metricsUrl = `http://${host}:${metricsServer.port}/metrics`;
  }
  let closing: Promise<void> | undefined;
  logger.info('sidecar listening', { url: `http://${host}:${port}/v1`, metrics: metricsUrl ?? null });

  return {
    url: `http://${host}:${port}/v1`,
    port,
    metricsUrl,
    metrics,
    runtime: () => current as PoolRuntime,
    reload,
    close() {
      closing ??= (async () => {
        stopWatching();
        await Promise.all([server.close(), metricsServer?.close()]);
        await Promise.all([...(current?.providers.values() ?? [])].map((p) => p.close()));
      })();
      return closing;
    },
  };
}
