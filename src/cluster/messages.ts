/**
 * The messages between the primary process and its workers (over the Node IPC channel). Only
 * control traffic goes here: instance changes, sweeps, status, heartbeats. Steps between
 * workers take the direct peer sockets (step-router.ts), never this channel.
 */
import type { InstanceInfo, ServerStatus, StartInstanceParams } from '../../generated/index.js';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { LogContext, LogFormat, LogLevel } from '../log.js';
import type { PluginErrorReport, ServerOptions } from '../options.js';

/** One instance as the primary keeps it: enough to create it again in any worker. */
export interface InstanceRecord {
  id: number;
  name: string;
  /** The JSON text Kong sent. */
  config: string;
  /** Seconds since the epoch, the same in every worker. */
  startTime: number;
}

/** A range of event ids `[lo, hi)` that a dead worker may have handed out. */
export type IdRange = readonly [number, number];

/** The options a worker's server takes from the command line (functions cannot cross processes). */
export type WorkerServerOptions = Omit<
  ServerOptions,
  'logger' | 'onPluginError' | 'serverPid' | 'eventIds' | 'onPluginEnter'
>;

/** What a worker needs to start. */
export interface WorkerInit {
  slot: number;
  slots: number;
  generation: number;
  dir: string;
  only: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Send log lines to the primary instead of writing them to stderr (embedded servers, tests). */
  forwardLogs: boolean;
  /** The server's options (every one that survives JSON); the worker adds its own hooks. */
  server: WorkerServerOptions;
  serverPid: number;
  eventIdStart: number;
  /** Ids of this slot's dead predecessors whose Steps get the "event lost" error. */
  lostRanges: IdRange[];
  lostRangesUntil: number;
  instances: InstanceRecord[];
  /** Directory of the workers' peer sockets. */
  runDir: string;
  /** 0: no watchdog. */
  maxBlockedMs: number;
  /** Send every plugin failure report to the primary (its embedder asked for them). */
  reportPluginErrors: boolean;
}

/** Requests the primary sends to a worker, answered with a reply message. */
export type PrimaryRequest =
  | { k: 'create'; rec: InstanceRecord; replica: boolean }
  | { k: 'remove'; id: number }
  | { k: 'sweep'; now: number }
  | { k: 'status' }
  | { k: 'inspect'; statics: string | undefined }
  | { k: 'metrics' }
  | { k: 'set-plugin-dir'; dir: string };

/** Requests a worker sends to the primary. */
export type WorkerRequest =
  | { k: 'start'; params: StartInstanceParams }
  | { k: 'close'; id: number }
  | { k: 'server-status' }
  | { k: 'sync'; id: number }
  | { k: 'set-plugin-dir'; dir: string };

/** An instance's use in one worker, for the primary's idle expiry. */
export interface InstanceUse {
  id: number;
  name: string;
  lastUsed: number;
  running: number;
}

/** A worker's counters, sent with every heartbeat. */
export interface WorkerCounters {
  /** Live events. */
  events: number;
  /** Steps this worker sent to the worker owning their event. */
  forwardedSteps: number;
  /** Milliseconds its event loop spent blocked beyond the heartbeat period. */
  blockedMs: number;
  /** The event id it hands out next (a successor in its slot starts past it). */
  nextEventId: number;
}

/** A worker's part of GetStatus. */
export interface WorkerStatusPart {
  status: ServerStatus;
  counters: WorkerCounters;
}

/** What an `inspect` request answers (a diagnostic view for tests and tools). */
export interface WorkerInspection {
  pid: number;
  events: number;
  instances: InstanceUse[];
  /** JSON text of the named static member of each plugin class, if one was asked for. */
  statics: Record<string, string>;
}

/** Results by request kind. */
export interface ReplyTypes {
  create: InstanceInfo;
  remove: InstanceInfo | null;
  sweep: InstanceUse[];
  status: WorkerStatusPart;
  inspect: WorkerInspection;
  /** prom-client's JSON of the worker's registry (empty when metrics are off). */
  metrics: MetricObjectWithValues<MetricValue<string>>[];
  'set-plugin-dir': string;
  start: InstanceInfo;
  close: InstanceInfo;
  'server-status': ServerStatus;
  sync: InstanceRecord | null;
}

/** Every message on the channel. */
export type ChannelMessage =
  | { t: 'init'; init: WorkerInit }
  | { t: 'conn' }
  | { t: 'slot'; slot: number; up: boolean }
  | { t: 'slots'; down: number[] }
  | { t: 'stop'; graceMs: number }
  | { t: 'ready'; plugins: string[] }
  | { t: 'failed'; error: string }
  | { t: 'beat'; counters: WorkerCounters }
  | { t: 'log'; level: LogLevel; msg: string; context: LogContext | undefined }
  | { t: 'plugin-error'; report: PluginErrorReport }
  | { t: 'req'; rid: number; body: PrimaryRequest | WorkerRequest }
  | { t: 'res'; rid: number; ok: true; value: unknown }
  | { t: 'res'; rid: number; ok: false; error: string; rpc: boolean };

/** A line the watchdog thread writes to the primary when the worker's loop stays blocked. */
export interface BlockedReport {
  blockedMs: number;
  plugin: string | undefined;
  instance: number;
  event: number;
  phase: string | undefined;
  /** Other plugins entered since the loop last turned. */
  others: string[];
}
