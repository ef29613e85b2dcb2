/**
 * What the server records through, without prom-client: the meter interfaces the hot path holds,
 * the label vocabularies, and {@link NO_METRICS} for a server with metrics off (so a server that
 * never serves metrics never loads prom-client).
 */
/** The prefix of every metric the server exposes. */
export const METRIC_PREFIX = 'kong_ts_';

/** How an event ended, the `outcome` label of kong_ts_events_total. */
export const EVENT_OUTCOMES = ['ret', 'exit', 'exception', 'expired', 'cancelled', 'broken'] as const;

/**
 * One of {@link EVENT_OUTCOMES}: `ret` the handler returned; `exit` it ended the request
 * (kong.response.exit/error); `exception` it threw (answered per --on-plugin-error); `expired`
 * Kong stopped driving it and the TTL freed it; `cancelled` the server closed first; `broken` its
 * instance cannot run (invalid config or a throwing constructor) and failed closed.
 */
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/** Why a connection-level message was refused, the `reason` label of kong_ts_messages_refused_total. */
export const REFUSAL_REASONS = [
  'too-large',
  'undecodable',
  'not-a-request',
  'bad-msgid',
  'malformed-request',
  'too-many-entries',
] as const;

/** One of {@link REFUSAL_REASONS}. */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Where a stray plugin error came from, the `kind` label of kong_ts_stray_errors_total. */
export type StrayErrorKind = 'unhandled-rejection' | 'uncaught-exception';

/** The meters of one (plugin, phase): an ended event is two additions and a bucket scan. */
export interface PhaseMeter {
  ended(outcome: EventOutcome, seconds: number): void;
}

/** The meters of one PDK function. */
export interface PdkMeter {
  /** The call went to Kong. */
  sent(): void;
  /** Kong answered it after `seconds`; `failed` for a StepError. */
  answered(seconds: number, failed: boolean): void;
}

/** What the server reports through; {@link NO_METRICS} when metrics are off. */
export interface ServerMeters {
  /** False for {@link NO_METRICS}: callers skip reading the clock. */
  readonly enabled: boolean;
  phase(plugin: string, phase: string): PhaseMeter;
  pdk(fn: string): PdkMeter;
  connectionOpened(): void;
  connectionClosed(): void;
  refused(reason: RefusalReason): void;
  strayError(plugin: string | undefined, kind: StrayErrorKind): void;
}

/** Values read at scrape time from the server's state. */
export interface MetricsSources {
  /** Live instances per plugin name. */
  instancesByPlugin(): ReadonlyMap<string, number>;
  /** Events that have not ended. */
  liveEvents(): number;
}

const noopPhase: PhaseMeter = { ended: () => {} };
const noopPdk: PdkMeter = { sent: () => {}, answered: () => {} };

/** The meters when metrics are off: every call does nothing. */
export const NO_METRICS: ServerMeters = Object.freeze({
  enabled: false,
  phase: () => noopPhase,
  pdk: () => noopPdk,
  connectionOpened: () => {},
  connectionClosed: () => {},
  refused: () => {},
  strayError: () => {},
});
