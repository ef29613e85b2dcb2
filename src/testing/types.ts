/** The public types of the test kit. */
import type { Consumer, Credential, MultiMap, Phase, Route, Service, UriCaptures } from '../../generated/index.js';
import type { FakeKong } from './fake-kong/index.js';

/** What the service (upstream) answers, for the `response` and `log` phases. */
export interface UpstreamResponse {
  /** Default 200. */
  status?: number;
  /** Names are lower-cased; a list sets the header several times. */
  headers?: Record<string, string | number | string[]>;
  /** Default empty. An object or array is sent as JSON (and `content-type: application/json` added). */
  body?: string | Buffer | Uint8Array | Record<string, unknown> | unknown[];
}

/**
 * Scripts one PDK function. It receives the call's arguments as they crossed MessagePack and
 * the fake Kong's state, and returns Kong's answer: a value, `pdkError(msg)` for Kong's
 * `(nil, err)`, or throws `kongRaises(msg)` for a Lua error. Overrides run after the phase
 * check, before the simulator's own behaviour.
 */
export type PdkOverride = (args: unknown[], kong: FakeKong) => unknown;

/** Overrides by PDK function name, Kong's (`kong.vault.update`) or the client's (`kong.request.getHeader`). */
export type PdkOverrides = Record<string, PdkOverride>;

/** One request through the fake Kong. Every field is optional. */
export interface RequestSpec {
  /** Default `GET`. */
  method?: string;
  /**
   * An absolute `http(s)://host[:port]/path?query` or a path (`/v1/orders?x=1`, taken relative to
   * `http://localhost:8000`). Default `/`. Path and query are kept byte for byte.
   */
  url?: string;
  /**
   * Request headers; names are lower-cased, a list repeats the header, `undefined` leaves it out.
   * `host` and `content-length` are added when missing.
   */
  headers?: Record<string, string | number | string[] | undefined>;
  /**
   * The raw request body. An object or array is JSON-encoded (or form-encoded when the
   * content-type says `application/x-www-form-urlencoded`) and a content-type added if missing.
   */
  body?: string | Buffer | Uint8Array | Record<string, unknown> | unknown[];
  /**
   * nginx buffered the body to a temporary file. Default: the body is larger than the kit's
   * `clientBodyBufferSize` (8192 bytes), as in Kong. Then `kong.request.getRawBody()` fails:
   * Kong 2.x rejects the call, Kong 3.x raises while packing the nil; Kong 3.8+ reads the file
   * when given `maxAllowedFileSize` (0 for any size). `true`/`false` force either case.
   */
  bodyInFile?: boolean;
  /** Default 1.1. */
  httpVersion?: number;
  /** The client's address. Default `127.0.0.1:54321`. */
  client?: { ip?: string; port?: number };
  /** The matched route: a partial is completed by `makeRoute`; `null` for none. Default: a route named `test-route`. */
  route?: Partial<Route> | null;
  /** The route's service: completed by `makeService`; `null` for none. Default: `test-service` at `http://upstream.test:80`. */
  service?: Partial<Service> | null;
  /** The consumer an earlier auth plugin identified (default none). */
  consumer?: Partial<Consumer> | null;
  /** The credential an earlier auth plugin identified (default none). */
  credential?: Partial<Credential> | null;
  /** Consumers `kong.client.loadConsumer` can find (by id, or by username when asked). */
  consumers?: Partial<Consumer>[];
  /** What the service answers (response and log phases). Default 200, no headers, empty body. */
  upstream?: UpstreamResponse;
  /** `kong.ctx.shared` as earlier plugins left it. */
  ctxShared?: Record<string, unknown>;
  /** `ngx.ctx` values `kong.nginx.getCtx` can read. */
  ngxCtx?: Record<string, unknown>;
  /** nginx variables for `kong.nginx.getVar`, on top of the ones derived from the request. */
  vars?: Record<string, string>;
  /** `kong.request.getUriCaptures`. Default none. */
  uriCaptures?: UriCaptures;
  /** Request start, ms since the epoch. Default: now. */
  startTime?: number;
  /** The latencies of the serialized log record, ms. */
  latencies?: { kong?: number; proxy?: number; request?: number; receive?: number };
  /** TLS of an https request (`kong.nginx.getTls1VersionStr`). Default TLSv1.3. */
  tls?: { version?: string };
  /**
   * Makes a `(nil, err)` PDK function fail with this error text, by function name. Only for
   * functions Kong documents as returning `(nil, err)`: how the plugin sees it depends on
   * `kongVersion` (3.x: `undefined`; 2.x: a rejected call with Kong's text).
   */
  pdkErrors?: Record<string, string>;
  /** Per-request overrides (on top of the kit's). */
  overrides?: PdkOverrides;
}

/** Options of {@link loadPlugin}. */
export interface KitOptions<Config = Record<string, unknown>> {
  /** The plugin's configuration (checked against its schema and completed with defaults, as Kong does). */
  config?: Partial<Config> | Config;
  /** Which plugin, when the source is a directory holding several (or the server is external). */
  name?: string;
  /**
   * The Kong version to behave as (default `3.10.0`). Before 3.0: `(nil, err)` failures reject
   * the call (StepError), raw bodies arrive as msgpack `str`, and the log phase sees no
   * route/service/consumer. Functions newer than the version are unknown to Kong (it logs
   * "could not find pdk method" and answers nil).
   */
  kongVersion?: string;
  /**
   * `memory` (default): the server's handlers behind the generated dispatcher, bytes encoded
   * and decoded as on the wire. `socket`: a real `PluginServer` listening on a temporary unix
   * socket.
   */
  transport?: 'memory' | 'socket';
  /** Request fields every request of this kit starts from (headers are merged). */
  defaults?: RequestSpec;
  /** PDK functions scripted for every request. */
  overrides?: PdkOverrides;
  /** Refuse PDK calls in phases Kong does not allow them in, as Kong does (raises). Default true. */
  checkPhases?: boolean;
  /**
   * Behave like Kong's log phase for external plugins (default true): the handler runs in a
   * timer after the response, where only saved request data is readable and request-bound
   * calls (`kong.request.getMethod`, `kong.service.response.*`, `kong.nginx.getVar`, …) raise.
   */
  logPhaseTimer?: boolean;
  /**
   * Kong's `nginx_http_client_body_buffer_size` in bytes (default 8192, Kong's `8k`): a request
   * body larger than this is kept in a temporary file, which `kong.request.getRawBody()` cannot
   * return before Kong 3.8, and from 3.8 only when given `maxAllowedFileSize`.
   */
  clientBodyBufferSize?: number;
  /** Check the config against the plugin's schema as Kong's admin API would. Default true. */
  validateConfig?: boolean;
  /** Fail the run when the plugin's handler throws or its constructor fails. Default true. */
  failOnPluginError?: boolean;
  /** How long the plugin may take between two PDK calls, ms. Default 5000. */
  timeoutMs?: number;
  /** Kong's `trusted_ips`: which clients' X-Forwarded-* headers count. Default none. */
  trustedIps?: string[];
  /** Upstream entities `kong.service.setUpstream` can find. Default none. */
  upstreams?: string[];
  /** Values of vault references, `{vault://env/secret}` → value, for `kong.vault.get`. */
  vault?: Record<string, string>;
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
