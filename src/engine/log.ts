// Logging. The engine logs through an injected Logger; the workflow's ctx.log is the same logger, silent while
// the workflow replays so each line is written once.

/**
 * Structured fields attached to a log line.
 *
 * @example
 * ```ts
 * const fields: LogFields = { orderId: "o-1", attempt: 2 };
 * ctx.log.info("charging", fields);
 * ```
 */
export type LogFields = Record<string, unknown>;

/**
 * A minimal structured logger; pass your own (pino, console, Powertools) through `createEngine({ logger })`.
 *
 * @example
 * ```ts
 * const logger: Logger = pino(); // debug, info, warn and error with (message, fields)
 * createEngine({ store, workflows, logger });
 * ```
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * Writes one JSON line per call to the console (warnings and errors to stderr). Debug lines are dropped.
 *
 * @example
 * ```ts
 * createEngine({ store, workflows, logger: consoleLogger });
 * ```
 */
export const consoleLogger: Logger = {
  debug: () => {},
  info: (message, fields) => console.log(line("info", message, fields)),
  warn: (message, fields) => console.warn(line("warn", message, fields)),
  error: (message, fields) => console.error(line("error", message, fields)),
};

/**
 * Drops everything.
 *
 * @example
 * ```ts
 * createEngine({ store, workflows, logger: silentLogger });
 * ```
 */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function line(level: string, message: string, fields?: LogFields): string {
  return JSON.stringify({ level, message, ...fields });
}

/** A logger that adds fields to every line and writes nothing while `quiet()` is true. */
export function scopedLogger(logger: Logger, fields: LogFields, quiet: () => boolean): Logger {
  const write = (level: keyof Logger) => (message: string, extra?: LogFields) => {
    if (!quiet()) logger[level](message, extra ? { ...fields, ...extra } : fields);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
