/**
 * Structured logs: one JSON object per line on stderr (stdout stays free for a CLI's own output).
 * Fields are flat; callers pass a request id on every request-scoped line through a child logger.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

export function createLogger(
  options: { level?: LogLevel; sink?: LogSink; base?: LogFields; now?: () => number } = {},
): Logger {
  const minRank = LEVEL_RANK[options.level ?? 'info'];
  const sink = options.sink ?? stderrSink;
  const base = options.base ?? {};
  const now = options.now ?? Date.now;
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVEL_RANK[level] < minRank) return;
    sink(JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...base, ...fields }));
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

export const silentLogger: Logger = createLogger({ sink: () => {} });

export function isLogLevel(value: string): value is LogLevel {
  return value in LEVEL_RANK;
}
