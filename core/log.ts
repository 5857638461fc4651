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
  return new FieldLogger(
    LEVEL_RANK[options.level ?? 'info'],
    options.sink ?? stderrSink,
    options.now ?? Date.now,
    options.base ?? {},
  );
}

/**
 * A logger and its fields. A class rather than closures, and a child keeps its parent's fields and its own apart
 * until it writes a line: the sidecar makes a child per request and per attempt, and most of them never write one
 * (at the default levels a served request logs nothing at warn).
 */
class FieldLogger implements Logger {
  readonly #minRank: number;
  readonly #sink: LogSink;
  readonly #now: () => number;
  /** The parent's fields (merged), or all of them once merged. */
  #base: LogFields;
  /** This child's own fields, not yet merged into `#base`. */
  #own: LogFields | undefined;

  constructor(minRank: number, sink: LogSink, now: () => number, base: LogFields, own?: LogFields) {
    this.#minRank = minRank;
    this.#sink = sink;
    this.#now = now;
    this.#base = base;
    this.#own = own;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#write('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#write('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#write('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#write('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new FieldLogger(this.#minRank, this.#sink, this.#now, this.#fields(), { ...fields });
  }

  /** Every field of this logger, merged once. */
  #fields(): LogFields {
    if (this.#own !== undefined) {
      this.#base = { ...this.#base, ...this.#own };
      this.#own = undefined;
    }
    return this.#base;
  }

  #write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVEL_RANK[level] < this.#minRank) return;
    const base = this.#fields();
    this.#sink(JSON.stringify({ time: new Date(this.#now()).toISOString(), level, msg, ...base, ...fields }));
  }
}

export const silentLogger: Logger = createLogger({ sink: () => {} });

export function isLogLevel(value: string): value is LogLevel {
  return value in LEVEL_RANK;
}
