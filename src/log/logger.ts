/**
 * Logging to stderr, one record per event of interest. Kong copies a managed server's output
 * into its error log line by line, and dump commands keep stdout for JSON only.
 *
 * Two formats: `text` (`[level] <ISO time> message`, the level first so filters on `^[error]`
 * keep working, a stack on the lines after it) and `json` (one object per line: time, level, msg,
 * and plugin, instance, event, phase, stack where known).
 */

/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Line formats. */
export const LOG_FORMATS = ['text', 'json'] as const;

/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What a record is about, where known; JSON lines carry each as a field. */
export interface LogContext {
  plugin?: string;
  instance?: number;
  event?: number;
  phase?: string;
  /** A stack trace (plugin exceptions), mapped to the plugin's source when it has a source map. */
  stack?: string;
  /** For a rate-limited warning: how many like it were left out. */
  suppressed?: number;
}

/** Where the server writes its log records. */
export interface Logger {
  error(msg: string, context?: LogContext): void;
  warn(msg: string, context?: LogContext): void;
  info(msg: string, context?: LogContext): void;
  debug(msg: string, context?: LogContext): void;
  /** True when records of `level` are written (to skip building costly messages). */
  enabled(level: LogLevel): boolean;
}

/** How {@link createLogger} formats its lines. */
export interface LoggerOptions {
  format?: LogFormat;
  /** The time stamped on each record (tests pin it). */
  now?: () => Date;
}

const CONTEXT_KEYS = ['plugin', 'instance', 'event', 'phase', 'stack', 'suppressed'] as const;

/** The stack's frame lines, without the message line(s) it starts with, indented. */
function stackFrames(stack: string): string {
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  return (first < 0 ? lines : lines.slice(first)).map((l) => `    ${l.trim()}`).join('\n');
}

/** One text record: `[level] time msg`, then the stack's frames if any. */
export function formatText(level: LogLevel, time: Date, msg: string, context: LogContext | undefined): string {
  const head = `[${level}] ${time.toISOString()} ${msg}`;
  return context?.stack ? `${head}\n${stackFrames(context.stack)}\n` : `${head}\n`;
}

/** One JSON record on one line. */
export function formatJson(level: LogLevel, time: Date, msg: string, context: LogContext | undefined): string {
  const record: Record<string, string | number> = { time: time.toISOString(), level, msg };
  if (context) {
    for (const k of CONTEXT_KEYS) {
      const v = context[k];
      if (v !== undefined) record[k] = v;
    }
  }
  return `${JSON.stringify(record)}\n`;
}

/** A logger writing records of `level` and more severe to a stream (stderr by default). */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
  options: LoggerOptions = {},
): Logger {
  const max = LOG_LEVELS.indexOf(level);
  const format = options.format === 'json' ? formatJson : formatText;
  const now = options.now ?? (() => new Date());
  const at = (l: LogLevel) =>
    LOG_LEVELS.indexOf(l) <= max
      ? (msg: string, context?: LogContext) => write(format(l, now(), msg, context))
      : () => {};
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
