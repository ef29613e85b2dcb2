/**
 * What the PDK implementations of the fake Kong see of one request: its state and the few
 * operations that change it. {@link FakeKong} implements it; overrides get the whole FakeKong.
 */
import type { Consumer, Credential, Phase, Route, Service, UriCaptures } from '../../../generated/index.js';
import type { LogLine } from '../types.js';
import type { ClientAddress, ClientRequest } from './client-request.js';
import type { ResponseState, UpstreamState } from './client-response.js';
import type { HeaderOp } from './headers.js';
import type { FakeKongOptions } from './options.js';
import type { SerializeMode } from './serialize-record.js';
import type { ServiceRequestState } from './service-request.js';

/** One request's state in the fake Kong, as the PDK implementations use it. */
export interface PdkState {
  /** The phase being run. */
  readonly phase: Phase;
  /** True when simulating a Kong before 3.0. */
  readonly isKong2: boolean;
  /** The kit's switches (trusted IPs, upstreams, vault, plugin id, …). */
  readonly options: Readonly<FakeKongOptions>;
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
  readonly ctxShared: Record<string, unknown>;
  readonly ngxCtx: Record<string, unknown>;
  readonly uriCaptures: UriCaptures | undefined;
  readonly tlsVersion: string;
  readonly logs: readonly LogLine[];
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
