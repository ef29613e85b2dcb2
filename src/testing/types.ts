/** The public types of the test kit. */
import type { Consumer, Credential, Route, Service, UriCaptures } from '../../generated/index.js';
import type { PdkState } from './fake-kong/state.js';
import type { UpstreamResponse } from './records.js';

export type {
  ExitInfo,
  LogLine,
  PdkCallRecord,
  ResponseSnapshot,
  RunResult,
  ServiceRequestSnapshot,
  SkippedPhase,
  UpstreamResponse,
} from './records.js';

/**
 * Scripts one PDK function. It receives the call's arguments as they crossed MessagePack and
 * the fake Kong's state, and returns Kong's answer: a value, `pdkError(msg)` for Kong's
 * `(nil, err)`, or throws `kongRaises(msg)` for a Lua error. Overrides run after the phase
 * check, before the simulator's own behaviour.
 */
export type PdkOverride = (args: unknown[], kong: PdkState) => unknown;

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
