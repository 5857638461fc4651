/**
 * The `switchboard sidecar` command as the injector runs it in a pod, here as a child process: it dials an
 * operator's sync channel for a pool, reads provider Secrets as mounted files and presents a projected token.
 */
import { join } from 'node:path';
import { startCli, type CliProcess } from '../../support/cli-process.ts';

export interface ClusterSidecarOptions {
  /** The operator's sync URL (a Service, or one replica). */
  readonly operator: string;
  /** `namespace/name` of the ProviderPool. */
  readonly pool: string;
  readonly id: string;
  /** Holds `secrets/<secret>/<key>` as the injector mounts them. */
  readonly dir: string;
  /** The sidecar's own state directory (one per sidecar). */
  readonly stateDir: string;
  /** The projected ServiceAccount token (audience switchboard). */
  readonly tokenFile: string;
}

/** Starts the sidecar and waits until it listens; returns the process and its API's base URL. */
export async function startClusterSidecar(
  options: ClusterSidecarOptions,
): Promise<{ sidecar: CliProcess; url: string }> {
  const sidecar = startCli([
    ...['sidecar', '--operator', options.operator, '--pool', options.pool, '--id', options.id],
    ...['--port', '0', '--metrics-port', '0'],
    ...['--secrets-dir', join(options.dir, 'secrets'), '--state-dir', options.stateDir],
    ...['--token-file', options.tokenFile],
  ]);
  try {
    const url = String((await sidecar.waitForLog('sidecar listening')).url);
    return { sidecar, url };
  } catch (error) {
    await sidecar.stop();
    throw error;
  }
}
