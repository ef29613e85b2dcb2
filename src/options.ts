/**
 * The server's tunables and the CLI's defaults, in one place: every default the plugin server
 * uses is in {@link DEFAULT_SERVER_OPTIONS} or {@link DEFAULT_CLI_OPTIONS}.
 */
import type { LogLevel, Logger } from './log.js';

/** Options of a plugin server; every field has a default in {@link DEFAULT_SERVER_OPTIONS}. */
export interface ServerOptions {
  /** An event waiting this long for Kong's next Step is taken as abandoned and freed (Kong's socket timeout is 60 s). */
  eventTtlMs: number;
  /** An instance with no event for this long, and none running, is forgotten. */
  instanceIdleMs: number;
  /** How often the expiry sweeps run. */
  sweepIntervalMs: number;
  /** The largest message accepted from Kong; a larger one gets an error reply and the connection is closed. */
  maxMessageBytes: number;
  /** The most map and array entries (map pairs plus array elements) accepted in one message; a message with more gets an error reply and the connection is closed. */
  maxMessageEntries: number;
  /** Send `[2, "serverPid", pid]` on every accepted connection (Kong then notices restarts). */
  greeting: boolean;
  /** Where log lines go. */
  logger?: Logger;
  /** Told of every plugin failure besides the log line: a handler that threw, an instance that cannot run. */
  onPluginError?: (report: PluginErrorReport) => void;
}

/** A plugin failure, as {@link ServerOptions.onPluginError} receives it. */
export interface PluginErrorReport {
  plugin: string;
  instanceId: number;
  /** Set for a handler that threw; absent for an instance that cannot run at all. */
  eventId?: number;
  phase?: string;
  message: string;
}

/** The defaults. */
export const DEFAULT_SERVER_OPTIONS: Readonly<Omit<ServerOptions, 'logger' | 'onPluginError'>> = Object.freeze({
  eventTtlMs: 60_000,
  instanceIdleMs: 60_000,
  sweepIntervalMs: 10_000,
  maxMessageBytes: 128 * 1024 * 1024,
  maxMessageEntries: 1_048_576,
  greeting: true,
});

/** Defaults of the `kong-ts-pluginserver` command beyond the server's own options. */
export interface CliDefaults {
  /** Kong's prefix, where Kong looks for the plugin server's socket. */
  readonly kongPrefix: string;
  /** The socket's file name in multi-plugin mode (kong-js-pluginserver's name, which Kong 2.3–3.8 configs expect). */
  readonly socketName: string;
  /** One-plugin mode listens on `<prefix>/<plugin><onePluginSocketSuffix>` (Kong 3.9's default socket). */
  readonly onePluginSocketSuffix: string;
  /** The log level without `-v` or `--log-level`. */
  readonly logLevel: LogLevel;
  /** How long SIGTERM waits for running events before closing, in ms (Kong expects the process gone within a second). */
  readonly shutdownGraceMs: number;
}

/** The CLI's defaults. */
export const DEFAULT_CLI_OPTIONS: CliDefaults = Object.freeze({
  kongPrefix: '/usr/local/kong',
  socketName: 'js_pluginserver.sock',
  onePluginSocketSuffix: '.socket',
  logLevel: 'warn',
  shutdownGraceMs: 500,
});
