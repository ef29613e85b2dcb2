/**
 * Logging to stderr, one line per event of interest. Kong copies a managed server's output
 * into its error log line by line, and dump commands keep stdout for JSON only.
 */

/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the server writes its log lines. */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  /** True when lines of `level` are written (to skip building costly messages). */
  enabled(level: LogLevel): boolean;
}

/** A logger writing `[level] message` lines to a stream (stderr by default). */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const max = LOG_LEVELS.indexOf(level);
  const at = (l: LogLevel) => (LOG_LEVELS.indexOf(l) <= max ? (msg: string) => write(`[${l}] ${msg}\n`) : () => {});
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    enabled: (l) => LOG_LEVELS.indexOf(l) <= max,
  };
}

/** The message of anything thrown, as one line. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
