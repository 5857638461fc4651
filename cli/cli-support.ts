import { createLogger, isLogLevel, type Logger } from '../core/log.ts';

export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${flag} must be a port number, not "${value}"`);
  return port;
}

const GRACE_MS = 30_000;

/**
 * Catches SIGINT/SIGTERM from now on and returns the function that names what stopping means once the command has
 * started. Install it before starting anything: a signal that arrives while the command starts up (or between its
 * "listening" line and the handler, which a loaded machine can stretch) must not kill the process uncleanly; the
 * stop then runs as soon as it is known. A second signal or the grace period forces the exit.
 */
export function stopOnSignal(): (stop: () => Promise<void>) => void {
  let stop: (() => Promise<void>) | undefined;
  let signalled = false;
  let stopping = false;
  const runStop = (run: () => Promise<void>) => {
    stopping = true;
    run().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const handler = () => {
    if (signalled) process.exit(1);
    signalled = true;
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    if (stop !== undefined) runStop(stop);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return (started) => {
    stop = started;
    if (signalled && !stopping) runStop(started);
  };
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
