/**
 * One request's state in the fake Kong, as the PDK implementations and overrides see it: the
 * pieces (client request, response, service request, …) and the few operations that change
 * them. {@link FakeKong} implements it. Types only, so every module of the kit can use them.
 */
import type { Consumer, Credential, MultiMap, Phase, Route, Service, UriCaptures } from '../../../generated/index.js';
import type { ExitInfo, LogLine, ServiceRequestSnapshot } from '../records.js';

/** The client's request. */
export interface ClientRequest {
  method: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  rawPath: string;
  rawQuery: string;
  headers: MultiMap;
  body: Buffer;
  /** nginx kept the body in a temporary file (it was larger than `client_body_buffer_size`). */
  bodyInFile: boolean;
  httpVersion: number;
  startTime: number;
  id: string;
}

/** The client's address. */
export interface ClientAddress {
  ip: string;
  port: number;
}

/** What the service answers. */
export interface UpstreamState {
  status: number;
  headers: MultiMap;
  body: Buffer;
}

/** The client's response while it is being built or after it was produced. */
export interface ResponseState {
  status: number;
  headers: MultiMap;
  body: Buffer;
  source: 'service' | 'exit' | 'error';
}

/** One header change a plugin asked for. */
export type HeaderOp = { op: 'set' | 'add'; name: string; values: string[] } | { op: 'clear'; name: string };

/** The request to the service, with the plugin's changes. */
export type ServiceRequestState = Omit<ServiceRequestSnapshot, 'header' | 'queryArgs'>;

/** How `set_serialize_value` changes a key: always, only when absent, or only when present. */
export type SerializeMode = 'set' | 'add' | 'replace';

/** The kit's settings the PDK functions answer from. */
export interface SimulationSettings {
  /** The Kong release simulated, e.g. `3.9.0`. */
  kongVersion: string;
  /** Kong's `trusted_ips`. */
  trustedIps: readonly string[];
  /** Upstream entities `kong.service.set_upstream` finds. */
  upstreams: readonly string[];
  /** Vault references and their values. */
  vault: Readonly<Record<string, string>>;
  /** `kong.plugin.get_id`. */
  pluginId: string;
}

/** One request's state in the fake Kong. The mutable fields may be changed to script Kong. */
export interface PdkState {
  /** The phase being run. */
  readonly phase: Phase;
  /** True when simulating a Kong before 3.0. */
  readonly isKong2: boolean;
  readonly options: Readonly<SimulationSettings>;
  readonly request: ClientRequest;
  readonly client: ClientAddress;
  route: Route | undefined;
  service: Service | undefined;
  consumer: Consumer | undefined;
  credential: Credential | undefined;
  /** Consumers `kong.client.load_consumer` finds. */
  readonly consumers: readonly Consumer[];
  /** What the service answers. */
  readonly upstream: UpstreamState;
  /** The request to the service, changed in place by `kong.service.*`. */
  readonly serviceRequest: ServiceRequestState;
  /** `kong.ctx.shared`. */
  readonly ctxShared: Record<string, unknown>;
  /** `ngx.ctx`. */
  readonly ngxCtx: Record<string, unknown>;
  /** nginx variables given by the test. */
  readonly vars: Readonly<Record<string, string>>;
  readonly uriCaptures: UriCaptures | undefined;
  readonly latencies: { kong: number; proxy: number; request: number; receive: number };
  readonly tlsVersion: string;
  /** Every `kong.log*` line so far. */
  readonly logs: readonly LogLine[];
  /** How the request was ended, if it was. */
  readonly exit: ExitInfo | undefined;
  /** True when the service has answered (the request passed rewrite/access without an exit). */
  readonly proxied: boolean;
  /** `kong.log.inspect` prints (switched by `kong.log.inspect.on`/`off`). */
  inspectEnabled: boolean;
  /** A request header that counts only for clients in `trusted_ips` (`X-Forwarded-*`). */
  forwardedHeader(name: string): string | undefined;
  /** Records a log line. */
  log(level: string, args: unknown[], message?: string): void;
  /** The response as it is now, or as it would be if the service answered now. */
  currentResponse(): ResponseState;
  /** `kong.response.set_status`. */
  setStatus(status: number): void;
  /** A client response header change. */
  changeResponseHeader(op: HeaderOp): void;
  /** Ends the request (`kong.response.exit`/`error`). */
  endRequest(
    via: 'exit' | 'error',
    status: number,
    body: unknown,
    headers: Record<string, string | string[]>,
    rawBody: Buffer,
    contentType: string | undefined,
  ): void;
  /** `ngx.var.<name>`. */
  nginxVar(name: string): string | undefined;
  /** The record `kong.log.serialize` JSON-encodes. */
  serializeRecord(): Record<string, unknown>;
  /** `kong.log.set_serialize_value`. */
  addSerializeValue(key: string, value: unknown, mode: SerializeMode): void;
}
