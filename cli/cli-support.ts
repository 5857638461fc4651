import { createLogger, isLogLevel, type Logger } from '../core/log.ts';

export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${flag} must be a port number, not "${value}"`);
  return port;
}

const GRACE_MS = 30_000;

/** Runs `stop` on SIGINT/SIGTERM, then exits; a second signal or the grace period forces the exit. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** The logger a `--log-level` flag asks for. */
export function loggerFromFlag(level: string): Logger {
  if (!isLogLevel(level)) throw new Error(`--log-level must be debug, info, warn or error, not "${level}"`);
  return createLogger({ level });
}

/** How the CLI ends on an error that reached the top: its message on stderr, exit code 2. */
export function exitOnFatal(err: unknown): never {
  process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
