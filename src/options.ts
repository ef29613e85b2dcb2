/**
 * The server's tunables and the CLI's defaults, in one place: every default the plugin server
 * uses is in {@link DEFAULT_SERVER_OPTIONS} or {@link DEFAULT_CLI_OPTIONS}.
 */
import type { IdAllocator } from './ids.js';
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
  /**
   * The socket file's permission bits, applied whatever the umask. 0660: Kong's nginx workers run
   * as the user that starts this server (or share its group when an operator runs the server
   * apart), and nobody else on the host may drive the plugins.
   */
  socketMode: number;
  /**
   * The listen backlog asked for. The kernel caps it at its own limit (net.core.somaxconn on
   * Linux), so the default asks for the most any kernel grants: Kong opens many connections at
   * once after a reload and never retries a refused connect.
   */
  listenBacklog: number;
  /** Let `SetPluginDir` load another directory than the configured one (Kong never sends it). */
  allowSetPluginDir: boolean;
  /**
   * What an event whose handler threw ends with in a phase that can end the request
   * (rewrite, access, preread): `fail-closed` answers `kong.response.exit(500)` as Kong's own
   * Lua plugins fail; `continue` answers `"ret"` and lets the request through, as kong-js-pdk did.
   * Other phases always answer `"ret"`.
   */
  pluginErrorPolicy: PluginErrorPolicy;
  /** Collect metrics (src/metrics); implied by {@link metricsListen}. */
  metrics: boolean;
  /** Serve the metrics as Prometheus text at `/metrics` on `host:port` or `unix:<path>`. */
  metricsListen: string | undefined;
  /** Where log lines go. */
  logger?: Logger;
  /** Told of every plugin failure besides the log line: a handler that threw, an instance that cannot run. */
  onPluginError?: (report: PluginErrorReport) => void;
  /** The pid the greeting and GetStatus announce (a worker of a multi-process server names its primary). */
  serverPid?: number;
  /** Where event ids come from (a worker of a multi-process server draws from its own residue class). */
  eventIds?: IdAllocator;
  /** Called just before plugin code runs for an event (a worker's watchdog names the plugin that blocks). */
  onPluginEnter?: (event: PluginEntry) => void;
}

/** The event whose plugin code is about to run, as {@link ServerOptions.onPluginEnter} sees it. */
export interface PluginEntry {
  readonly id: number;
  readonly phase: string;
  readonly instance: { readonly id: number; readonly plugin: { readonly name: string } };
}

/** See {@link ServerOptions.pluginErrorPolicy}. */
export type PluginErrorPolicy = 'fail-closed' | 'continue';

/** The values of {@link PluginErrorPolicy}, for the CLI. */
export const PLUGIN_ERROR_POLICIES: readonly PluginErrorPolicy[] = ['fail-closed', 'continue'];

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
export const DEFAULT_SERVER_OPTIONS: Readonly<
  Omit<ServerOptions, 'logger' | 'onPluginError' | 'serverPid' | 'eventIds' | 'onPluginEnter'>
> = Object.freeze({
  eventTtlMs: 60_000,
  instanceIdleMs: 60_000,
  // Twice a second, so an event is freed within half a second of its TTL.
  sweepIntervalMs: 500,
  maxMessageBytes: 128 * 1024 * 1024,
  maxMessageEntries: 1_048_576,
  greeting: true,
  socketMode: 0o660,
  listenBacklog: 0x7fffffff,
  allowSetPluginDir: false,
  pluginErrorPolicy: 'fail-closed',
  metrics: false,
  metricsListen: undefined,
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
  /** Worker processes (`--workers`); 1 runs everything in the one process Kong started (see docs/workers.md). */
  readonly workers: number;
  /** A worker whose event loop stays blocked this long is replaced, in ms (`--max-blocked`; see docs/workers.md). */
  readonly maxBlockedMs: number;
}

/** The CLI's defaults. */
export const DEFAULT_CLI_OPTIONS: CliDefaults = Object.freeze({
  kongPrefix: '/usr/local/kong',
  socketName: 'js_pluginserver.sock',
  onePluginSocketSuffix: '.socket',
  logLevel: 'warn',
  shutdownGraceMs: 500,
  workers: 1,
  maxBlockedMs: 5000,
});
