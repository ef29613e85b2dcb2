/** The server's tunables, with one object of defaults. */
import type { Logger } from './log.js';

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
