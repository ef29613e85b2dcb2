/**
 * The fake Kong: the state of one request and Kong's answer to each PDK call. It answers the
 * way Kong's Lua side does — what the function returns, the `(nil, err)` convention, the Lua
 * errors it raises (wrong phase, bad arguments, request-bound calls in the log timer, nil raw
 * bodies or multimaps Kong cannot pack) — and refuses, with a clear "not simulated", every
 * function it does not implement. The functions themselves live in `pdk/`, by PDK area.
 */
import {
  PDK_FUNCTIONS,
  type Consumer,
  type Credential,
  type Phase,
  type Route,
  type Service,
  type UriCaptures,
} from '../../../generated/index.js';
import { makeConsumer, makeCredential, makeRoute, makeService } from '../entities.js';
import { KitError, KongRaise, NilErr, NotSimulated } from '../errors.js';
import { firstHeader, toHeaderMultiMap } from '../http.js';
import { deepCopy, luaToString } from '../lua.js';
import type { ExitInfo, LogLine, ResponseSnapshot, ServiceRequestSnapshot } from '../records.js';
import type { PdkOverride, RequestSpec } from '../types.js';
import { bodyBytes, buildClientRequest, clientAddress } from './client-request.js';
import { ClientResponse } from './client-response.js';
import { releaseParts, withinRange } from './kong-version.js';
import { logTimerHelp, logTimerOutcome, type LogTimerOutcome } from './log-timer.js';
import { nginxVar } from './ngx-vars.js';
import { DEFAULT_CLIENT_BODY_BUFFER_SIZE, type FakeKongOptions } from './options.js';
import { EXITED, IMPLEMENTATIONS } from './pdk/index.js';
import { isTrusted } from './pdk/impl.js';
import { kongName, returnsNilErr } from './pdk-names.js';
import { parseBody, rawRequestBody } from './request-body.js';
import { serializeRecord, SerializeValues } from './serialize-record.js';
import { initialServiceRequest, serviceRequestSnapshot } from './service-request.js';
import type {
  ClientAddress,
  ClientRequest,
  HeaderOp,
  PdkState,
  ResponseState,
  SerializeMode,
  ServiceRequestState,
  UpstreamState,
} from './state.js';
import { wireAnswer, type Answer } from './wire-answer.js';

/**
 * The state of one request in the fake Kong, and its answers to PDK calls. Overrides receive it:
 * every field below is readable, and the mutable ones (`ctxShared`, `ngxCtx`, `consumer`, …)
 * may be changed to script Kong.
 */
export class FakeKong implements PdkState {
  /** The phase being run. */
  phase: Phase = 'access';
  /** `[major, minor, patch]` of the Kong being simulated. */
  readonly version: [number, number, number];
  /** The client's request. */
  readonly request: ClientRequest;
  /** The client's address. */
  readonly client: ClientAddress;
  route: Route | undefined;
  service: Service | undefined;
  consumer: Consumer | undefined;
  credential: Credential | undefined;
  /** Consumers `kong.client.loadConsumer` finds. */
  readonly consumers: Consumer[];
  /** What the service answers. */
  readonly upstream: UpstreamState;
  /** The request to the service, with the plugin's changes. */
  readonly serviceRequest: ServiceRequestState;
  /** `kong.ctx.shared`. */
  readonly ctxShared: Record<string, unknown>;
  /** `ngx.ctx`. */
  readonly ngxCtx: Record<string, unknown>;
  /** nginx variables given by the test. */
  readonly vars: Record<string, string>;
  readonly uriCaptures: UriCaptures | undefined;
  readonly latencies: { kong: number; proxy: number; request: number; receive: number };
  readonly tlsVersion: string;
  /** Every `kong.log*` line. */
  readonly logs: LogLine[] = [];
  /** How the request was ended, if it was. */
  exit: ExitInfo | undefined;
  /** `kong.log.inspect` prints (`kong.log.inspect.on`/`off`). */
  inspectEnabled = true;
  private readonly response: ClientResponse;
  private readonly serializeValuesSet = new SerializeValues();
  private readonly pdkErrors: Map<string, string>;
  private readonly overrides: Map<string, PdkOverride>;

  constructor(
    spec: RequestSpec,
    /** The kit's switches. */
    readonly options: FakeKongOptions,
  ) {
    this.version = releaseParts(options.kongVersion);
    this.request = buildClientRequest(spec, options.clientBodyBufferSize ?? DEFAULT_CLIENT_BODY_BUFFER_SIZE);
    this.client = clientAddress(spec);
    this.route = spec.route === null ? undefined : makeRoute(spec.route ?? {});
    this.service = spec.service === null ? undefined : makeService(spec.service ?? {});
    this.consumer = spec.consumer ? makeConsumer(spec.consumer) : undefined;
    this.credential = spec.credential ? makeCredential(spec.credential) : undefined;
    this.consumers = (spec.consumers ?? []).map((c) => makeConsumer(c));
    const up = spec.upstream ?? {};
    const upHeaders = toHeaderMultiMap(up.headers);
    const upBody = bodyBytes(up.body, firstHeader(upHeaders, 'content-type'));
    if (upBody.contentType && !upHeaders['content-type']) upHeaders['content-type'] = [upBody.contentType];
    this.upstream = { status: up.status ?? 200, headers: upHeaders, body: upBody.bytes };
    this.response = new ClientResponse(this.upstream);
    this.serviceRequest = initialServiceRequest(this.request, this.route, this.service);
    this.ctxShared = deepCopy(spec.ctxShared ?? {});
    this.ngxCtx = deepCopy(spec.ngxCtx ?? {});
    this.vars = { ...(spec.vars ?? {}) };
    this.uriCaptures = spec.uriCaptures;
    this.latencies = { kong: 1, proxy: 12, request: 14, receive: 0, ...(spec.latencies ?? {}) };
    this.tlsVersion = spec.tls?.version ?? 'TLSv1.3';
    this.pdkErrors = new Map();
    for (const [name, message] of Object.entries(spec.pdkErrors ?? {})) {
      const k = kongName(name);
      if (!returnsNilErr(k)) {
        throw new KitError(
          'usage',
          `pdkErrors: ${k} never returns (nil, err) in Kong, so it cannot fail that way; use an override that throws kongRaises(…) to make Kong raise instead`,
        );
      }
      this.pdkErrors.set(k, message);
    }
    this.overrides = new Map();
    for (const [name, fn] of Object.entries({ ...options.overrides, ...(spec.overrides ?? {}) })) {
      const k = kongName(name);
      if (k === 'kong.response.exit' || k === 'kong.response.error')
        throw new KitError('usage', `${k} cannot be overridden: it ends the request`);
      this.overrides.set(k, fn);
    }
  }

  /** True when simulating a Kong before 3.0. */
  get isKong2(): boolean {
    return this.version[0] < 3;
  }

  /** True when the service has answered (the request passed rewrite/access without an exit). */
  get proxied(): boolean {
    return this.response.fromService;
  }

  /** `X-Forwarded-*` headers count only for clients in `trusted_ips`. */
  get clientTrusted(): boolean {
    return isTrusted(this.options.trustedIps, this.client.ip);
  }

  /** A request header that counts only when the client is trusted. */
  forwardedHeader(name: string): string | undefined {
    return this.clientTrusted ? firstHeader(this.request.headers, name) : undefined;
  }

  /** The service answers: called when the response or log phase starts without an exit. */
  proxy(): void {
    if (!this.exit) this.response.proxy();
  }

  /** The response as it is now, or as it would be if the service answered now. */
  currentResponse(): ResponseState {
    return this.response.current();
  }

  /** A snapshot of the client's response. */
  responseSnapshot(): ResponseSnapshot {
    return this.response.snapshot();
  }

  /** A snapshot of the request to the service. */
  serviceRequestSnapshot(): ServiceRequestSnapshot {
    return serviceRequestSnapshot(this.serviceRequest);
  }

  /** The `kong.log.setSerializeValue` values, applied to an empty record. */
  serializeValues(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.serializeValuesSet.applyTo(out);
    return out;
  }

  /** Records a `kong.log.set_serialize_value` call. */
  addSerializeValue(key: string, value: unknown, mode: SerializeMode): void {
    this.serializeValuesSet.add(key, value, mode);
  }

  /** Records a log line as `kong.log.<level>` writes it: the arguments' `tostring`s concatenated. */
  log(level: string, args: unknown[], message: string = args.map(luaToString).join('')): void {
    this.logs.push({ phase: this.phase, level, message, args });
  }

  /** `kong.response.set_status`: changes the response once the service has answered; before that nginx lets the service's status win. */
  setStatus(status: number): void {
    this.response.setStatus(status);
  }

  /** A response header change: recorded before the service answers, applied after. */
  changeResponseHeader(op: HeaderOp): void {
    this.response.changeHeader(op);
  }

  /** Ends the request (kong.response.exit / error). */
  endRequest(
    via: 'exit' | 'error',
    status: number,
    body: unknown,
    headers: Record<string, string | string[]>,
    rawBody: Buffer,
    contentType: string | undefined,
  ): void {
    this.exit = { phase: this.phase, via, status, body, headers, rawBody };
    this.response.end(status, headers, rawBody, contentType);
  }

  /** The request body as `kong.request.get_raw_body` returns it, or its `(nil, err)`. */
  rawBody(maxAllowedFileSize: unknown): Buffer | NilErr {
    return rawRequestBody('kong.request.get_raw_body', this.request, this.options.kongVersion, maxAllowedFileSize);
  }

  /** A body parsed as `kong.request.get_body` parses it. */
  parseBody(method: string, body: Buffer | NilErr, contentType: string | undefined, maxArgs: unknown): unknown {
    return parseBody(method, body, contentType, maxArgs);
  }

  /** `ngx.var.<name>`, as far as the kit derives it; undefined for an unknown variable. */
  nginxVar(name: string): string | undefined {
    return nginxVar(
      {
        vars: this.vars,
        request: this.request,
        client: this.client,
        serviceRequest: this.serviceRequest,
        tlsVersion: this.tlsVersion,
        status: this.response.producedStatus,
      },
      name,
    );
  }

  /** The record `kong.log.serialize` JSON-encodes (idl/entities.yaml: the http shape). */
  serializeRecord(): Record<string, unknown> {
    return serializeRecord(
      {
        request: this.request,
        client: this.client,
        response: this.response.current(),
        proxied: this.response.fromService || (!this.exit && !this.response.isProduced),
        upstreamStatus: this.upstream.status,
        serviceRequest: this.serviceRequest,
        route: this.route,
        service: this.service,
        consumer: this.consumer,
        credential: this.credential,
        latencies: this.latencies,
        tlsVersion: this.tlsVersion,
      },
      this.serializeValuesSet,
    );
  }

  /**
   * Kong's answer to `method(...args)` in the current phase. Throws {@link KongRaise} where Kong
   * raises and {@link NotSimulated} for what the kit does not implement.
   */
  answer(method: string, args: unknown[]): Answer {
    const info = PDK_FUNCTIONS.get(method);
    if (!info || !withinRange(this.options.kongVersion, info.since, info.until)) {
      // Kong logs this and answers plugin.Step with nil.
      this.log('err', [`could not find pdk method: ${method}`]);
      return { kind: 'unknown-method' };
    }
    if (this.options.checkPhases && info.phases && !info.phases.includes(this.phase)) {
      throw new KongRaise(
        `${method}: function cannot be called in ${this.phase} phase (only in: ${info.phases.join(', ')})`,
      );
    }
    const inTimer: LogTimerOutcome =
      this.phase === 'log' && this.options.logPhaseTimer ? logTimerOutcome(info, this.options.kongVersion) : 'runs';
    if (inTimer === 'raises')
      throw new KongRaise(`${method} raises in the log phase: ${logTimerHelp(this.options.kongVersion)}`);
    let value: unknown;
    const forced = this.pdkErrors.get(method);
    const override = this.overrides.get(method);
    if (forced !== undefined) value = new NilErr(forced);
    else if (override) value = override(args, this);
    // What lives in ngx.ctx reads as nil in a timer that runs without it.
    else if (inTimer === 'nil') value = undefined;
    else {
      const impl = IMPLEMENTATIONS.get(method);
      if (!impl) throw new NotSimulated(method);
      value = impl(this, args, method);
    }
    if (value === EXITED) return { kind: 'exit' };
    return wireAnswer(method, info.flags, value, this.isKong2);
  }
}
