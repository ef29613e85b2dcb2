/**
 * What a run records and reports: the kit's result types. They depend on nothing but the
 * generated types, so the fake Kong and the public option types can both use them.
 */
import type { Consumer, Credential, MultiMap, Phase } from '../../generated/index.js';

/** What the service (upstream) answers, for the `response` and `log` phases. */
export interface UpstreamResponse {
  /** Default 200. */
  status?: number;
  /** Names are lower-cased; a list sets the header several times. */
  headers?: Record<string, string | number | string[]>;
  /** Default empty. An object or array is sent as JSON (and `content-type: application/json` added). */
  body?: string | Buffer | Uint8Array | Record<string, unknown> | unknown[];
}

/** One PDK call the plugin made, and what the fake Kong did with it. */
export interface PdkCallRecord {
  /** The phase it was made in. */
  phase: Phase;
  /** Kong's name, e.g. `kong.request.get_header`. */
  method: string;
  /** The arguments as they crossed MessagePack. */
  args: unknown[];
  /**
   * `value`: answered; `nil-err`: Kong's `(nil, err)`; `exit`: ended the request (never
   * answered); `raised`: Kong raised a Lua error; `not-simulated`: the kit cannot answer it;
   * `unknown-method`: this Kong version has no such function (answered nil).
   */
  outcome: 'value' | 'nil-err' | 'exit' | 'raised' | 'not-simulated' | 'unknown-method';
  /** The Step method Kong answered with (`plugin.StepMultiMap`, …). */
  step?: string;
  /** The `Data` sent back (undefined for nil). */
  result?: unknown;
  /** The error text, for `nil-err` and `raised`. */
  error?: string;
}

/** One `kong.log*` line. */
export interface LogLine {
  phase: Phase;
  /** The function used: `notice` for `kong.log(…)`, `err`, `warn`, `inspect`, `deprecation`, …. */
  level: string;
  /** The line as Kong writes it: the arguments' Lua `tostring`s concatenated (tables print as `table: 0x…`). */
  message: string;
  /** The arguments as they crossed MessagePack. */
  args: unknown[];
}

/** How the request was ended by `kong.response.exit` or `kong.response.error`. */
export interface ExitInfo {
  phase: Phase;
  via: 'exit' | 'error';
  status: number;
  /** The body the plugin passed (an object for a table Kong JSON-encodes; for `error`, `{message}`). */
  body: unknown;
  /** The headers the plugin passed (names lower-cased). */
  headers: Record<string, string | string[]>;
  /** The bytes the client receives. */
  rawBody: Buffer;
}

/** The response the client gets. */
export interface ResponseSnapshot {
  status: number;
  /** Lower-cased names, every value a list. */
  headers: MultiMap;
  body: Buffer;
  /** Who produced it, as `kong.response.getSource` says. */
  source: 'service' | 'exit' | 'error';
  /** The first value of a header. */
  header(name: string): string | undefined;
}

/** The request as it goes (or would go) to the service, after the plugin's changes. */
export interface ServiceRequestSnapshot {
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** The query parsed (a flag is `[]`). */
  queryArgs: Record<string, (string | true)[]>;
  /** Lower-cased names, every value a list. */
  headers: MultiMap;
  body: Buffer;
  /** The first value of a header. */
  header(name: string): string | undefined;
  /** `kong.service.request.enableBuffering` was called. */
  bufferingEnabled: boolean;
  /** `kong.service.setTarget`. */
  target?: { host: string; port: number };
  /** `kong.service.setUpstream`. */
  upstream?: string;
  /** `kong.service.setRetries`. */
  retries?: number;
  /** `kong.service.setTimeouts`, ms. */
  timeouts?: { connect: number; write: number; read: number };
  /** `kong.service.setTlsVerify`. */
  tlsVerify?: boolean;
  /** `kong.service.setTlsVerifyDepth`. */
  tlsVerifyDepth?: number;
}

/** A phase that was not run, and why. */
export interface SkippedPhase {
  phase: Phase;
  reason: string;
}

/** What a request did, after {@link KongRequest.run}. */
export interface RunResult {
  /** Phases run, in order. */
  ran: Phase[];
  /** Phases asked for but not run (not implemented, or after an exit). */
  skipped: SkippedPhase[];
  /** Set when the plugin ended the request. */
  exit?: ExitInfo;
  /** The request reached the service (no exit before it). */
  proxied: boolean;
  /** The response the client gets (the service's, changed by the plugin, or the exit). */
  response: ResponseSnapshot;
  /** The request to the service, with the plugin's changes. */
  serviceRequest: ServiceRequestSnapshot;
  /** Every `kong.log*` line. */
  logs: LogLine[];
  /** `kong.ctx.shared` at the end. */
  ctxShared: Record<string, unknown>;
  /** `ngx.ctx` values at the end (`kong.nginx.setCtx`). */
  ngxCtx: Record<string, unknown>;
  /** The authenticated consumer (given, or set by `kong.client.authenticate`). */
  consumer?: Consumer;
  /** The authenticated credential. */
  credential?: Credential;
  /** `kong.log.setSerializeValue` entries, applied. */
  serializeValues: Record<string, unknown>;
  /** Every PDK call, in order. */
  calls: PdkCallRecord[];
  /** Handler exceptions and constructor failures the server reported. */
  pluginErrors: { phase: Phase; message: string }[];
  /** The server's log lines during the run. */
  serverLog: string[];
  /** The messages of the log lines at `level` (every level when omitted). */
  logMessages(level?: string): string[];
  /** The calls to one PDK function (Kong's or the client's name). */
  callsTo(method: string): PdkCallRecord[];
}
