/**
 * The fake Kong: the state of one request and Kong's answer to each PDK call. It answers the
 * way Kong's Lua side does — what the function returns, the `(nil, err)` convention, the Lua
 * errors it raises (wrong phase, bad arguments, request-bound calls in the log timer, nil raw
 * bodies or multimaps Kong cannot pack) — and refuses, with a clear "not simulated", every
 * function it does not implement.
 */
import { randomBytes } from 'node:crypto';
import {
  PDK_CAMEL_TO_KONG,
  PDK_FUNCTIONS,
  PdkCallFlags,
  type Consumer,
  type Credential,
  type MultiMap,
  type Phase,
  type Route,
  type Service,
  type UriCaptures,
} from '../../generated/index.js';
import pdkIndex from '../../generated/pdk-index.json';
import { DEFAULT_WORKSPACE_ID, makeConsumer, makeCredential, makeRoute, makeService } from './entities.js';
import { KitError, KongRaise, NilErr, NotSimulated } from './errors.js';
import {
  argsToMultiMap,
  encodeArgs,
  ERROR_MESSAGES,
  firstHeader,
  mediaType,
  ngxHeaders,
  normalizePath,
  parseArgs,
  parseRequestUrl,
  toHeaderMultiMap,
  type NgxArg,
} from './http.js';
import { cjsonEncode, deepCopy, isPlainObject, luaToString, toLuaWire } from './lua.js';
import type {
  ExitInfo,
  LogLine,
  PdkOverride,
  PdkOverrides,
  RequestSpec,
  ResponseSnapshot,
  ServiceRequestSnapshot,
} from './types.js';

/** Kong's name of a PDK function given either spelling; throws for an unknown one. */
export function kongName(name: string): string {
  if (PDK_FUNCTIONS.has(name)) return name;
  const k = PDK_CAMEL_TO_KONG.get(name);
  if (k) return k;
  throw new KitError(
    'usage',
    `no PDK function ${name} (names look like kong.request.get_header or kong.request.getHeader)`,
  );
}

const NIL_ERR: ReadonlySet<string> = new Set(
  (pdkIndex as { functions: { name: string; nil_err: boolean }[] }).functions
    .filter((f) => f.nil_err)
    .map((f) => f.name),
);

/** True when Kong documents `method` as returning `(nil, err)`. */
export function returnsNilErr(method: string): boolean {
  return NIL_ERR.has(method);
}

/** A Kong version as three numbers. */
export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v);
  if (!m) throw new KitError('usage', `kongVersion must look like 3.9.0, got ${v}`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

function compareVersion(v: [number, number, number], other: string): number {
  const o = parseVersion(other);
  for (let i = 0; i < 3; i++) if (v[i] !== o[i]) return v[i]! > o[i]! ? 1 : -1;
  return 0;
}

function versionAtLeast(v: [number, number, number], other: string): boolean {
  return compareVersion(v, other) >= 0;
}

// Request-bound functions that raise in the log phase's timer (docs/protocol.md §3.6): everything
// not answered from the data Kong saved before starting the timer.
const LOG_TIMER_SAFE_REQUEST = new Set([
  'kong.request.get_header',
  'kong.request.get_headers',
  'kong.request.get_uri_captures',
  'kong.request.get_start_time',
]);
const LOG_TIMER_RAISES = new Set([
  'kong.client.get_ip',
  'kong.client.get_port',
  'kong.client.get_forwarded_ip',
  'kong.client.get_forwarded_port',
  'kong.client.get_protocol',
  'kong.client.tls.get_full_client_certificate_chain',
  'kong.nginx.get_var',
  'kong.nginx.get_tls1_version_str',
]);

function raisesInLogTimer(method: string): boolean {
  if (method.startsWith('kong.request.')) return !LOG_TIMER_SAFE_REQUEST.has(method);
  return method.startsWith('kong.service.response.') || LOG_TIMER_RAISES.has(method);
}

const LOG_TIMER_HELP =
  "Kong runs an external plugin's log handler in a timer after the response has been sent, where nginx's request APIs are disabled " +
  '("API disabled in the context of ngx.timer"); only saved data is readable there: kong.request.getHeader(s), getUriCaptures, getStartTime, ' +
  'kong.response.getStatus/getHeader(s)/getSource, kong.log.serialize, kong.ctx.shared, kong.nginx.getCtx/setCtx/reqStartTime, ' +
  'kong.router.*, kong.client.getConsumer/getCredential. Read the value in an earlier phase and keep it in kong.ctx.shared ' +
  '(or pass { logPhaseTimer: false } to the kit)';

const METHODS = new Set([
  'GET',
  'HEAD',
  'PUT',
  'POST',
  'DELETE',
  'OPTIONS',
  'MKCOL',
  'COPY',
  'MOVE',
  'PROPFIND',
  'PROPPATCH',
  'LOCK',
  'UNLOCK',
  'PATCH',
  'TRACE',
  'CONNECT',
]);

/** Kong's answer to one PDK call. */
export type Answer =
  | { kind: 'value'; value: unknown; strBytes?: Buffer }
  | { kind: 'nil-err'; message: string }
  | { kind: 'exit' }
  | { kind: 'unknown-method' };

/** The response while it is being built or after it was produced. */
interface ResponseState {
  status: number;
  headers: MultiMap;
  body: Buffer;
  source: 'service' | 'exit' | 'error';
}

type HeaderOp = { op: 'set' | 'add'; name: string; values: string[] } | { op: 'clear'; name: string };

/** Behaviour switches of the fake Kong (see KitOptions). */
export interface FakeKongOptions {
  kongVersion: string;
  checkPhases: boolean;
  logPhaseTimer: boolean;
  trustedIps: readonly string[];
  upstreams: readonly string[];
  vault: Readonly<Record<string, string>>;
  overrides: PdkOverrides;
  pluginId: string;
}

function bodyBytes(body: unknown, contentType: string | undefined): { bytes: Buffer; contentType?: string } {
  if (body === undefined || body === null) return { bytes: Buffer.alloc(0) };
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8') };
  if (Buffer.isBuffer(body)) return { bytes: body };
  if (body instanceof Uint8Array) return { bytes: Buffer.from(body) };
  if (mediaType(contentType) === 'application/x-www-form-urlencoded')
    return { bytes: Buffer.from(encodeArgs(body as Record<string, unknown>)) };
  return { bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
}

function headerValues(method: string, name: unknown, value: unknown): string[] {
  if (typeof name !== 'string' || name === '') throw new KongRaise(`${method}: header name must be a string`);
  const ok = (x: unknown) =>
    typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' || Buffer.isBuffer(x);
  if (ok(value)) return [Buffer.isBuffer(value) ? value.toString('utf8') : String(value)];
  if (Array.isArray(value) && value.every((x) => typeof x === 'string' || Buffer.isBuffer(x)))
    return value.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
  throw new KongRaise(
    `${method}: invalid header value for "${name}": got ${value === undefined ? 'nil' : typeof value}, expected array of string, string, number or boolean`,
  );
}

function applyHeaderOp(headers: MultiMap, op: HeaderOp): void {
  const key = op.name.toLowerCase();
  if (op.op === 'clear') delete headers[key];
  else if (op.op === 'set') headers[key] = [...op.values];
  else headers[key] = [...(headers[key] ?? []), ...op.values];
}

function int(method: string, what: string, v: unknown, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    throw new KongRaise(`${method}: ${what} must be an integer between ${min} and ${max}: given ${luaToString(v)}`);
  }
  return v as number;
}

function str(method: string, what: string, v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v !== 'string') throw new KongRaise(`${method}: ${what} must be a string`);
  return v;
}

function table(method: string, what: string, v: unknown): Record<string, unknown> | unknown[] {
  if (!isPlainObject(v) && !Array.isArray(v)) throw new KongRaise(`${method}: ${what} must be a table`);
  return v;
}

function firstArg(v: NgxArg | undefined): string | true | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The state of one request in the fake Kong, and its answers to PDK calls. Overrides receive it:
 * every field below is readable, and the mutable ones (`ctxShared`, `ngxCtx`, `consumer`, …)
 * may be changed to script Kong.
 */
export class FakeKong {
  /** The phase being run. */
  phase: Phase = 'access';
  /** `[major, minor, patch]` of the Kong being simulated. */
  readonly version: [number, number, number];
  /** The client's request. */
  readonly request: {
    method: string;
    scheme: 'http' | 'https';
    host: string;
    port: number;
    rawPath: string;
    rawQuery: string;
    headers: MultiMap;
    body: Buffer;
    bodyInFile: boolean;
    httpVersion: number;
    startTime: number;
    id: string;
  };
  /** The client's address. */
  readonly client: { ip: string; port: number };
  route: Route | undefined;
  service: Service | undefined;
  consumer: Consumer | undefined;
  credential: Credential | undefined;
  /** Consumers `kong.client.loadConsumer` finds. */
  readonly consumers: Consumer[];
  /** What the service answers. */
  readonly upstream: { status: number; headers: MultiMap; body: Buffer };
  /** The request to the service, with the plugin's changes. */
  readonly serviceRequest: Omit<ServiceRequestSnapshot, 'header' | 'queryArgs'>;
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
  /** The response once the service answered (or the exit's). */
  private responseState: ResponseState | undefined;
  private readonly responseOps: HeaderOp[] = [];
  private readonly serializeOps: { key: string; value: unknown; mode: string }[] = [];
  private inspectOn = true;
  private readonly pdkErrors: Map<string, string>;
  private readonly overrides: Map<string, PdkOverride>;

  constructor(
    spec: RequestSpec,
    private readonly options: FakeKongOptions,
  ) {
    this.version = parseVersion(options.kongVersion);
    const url = parseRequestUrl(spec.url ?? '/');
    const headers = toHeaderMultiMap(spec.headers);
    const { bytes, contentType } = bodyBytes(spec.body, firstHeader(headers, 'content-type'));
    if (contentType && !headers['content-type']) headers['content-type'] = [contentType];
    if (!headers.host)
      headers.host = [url.port === (url.scheme === 'https' ? 443 : 80) ? url.host : `${url.host}:${url.port}`];
    if (bytes.length > 0 && !headers['content-length'] && !headers['transfer-encoding'])
      headers['content-length'] = [String(bytes.length)];
    this.request = {
      method: (spec.method ?? 'GET').toUpperCase(),
      scheme: url.scheme,
      host: url.host,
      port: url.port,
      rawPath: url.rawPath,
      rawQuery: url.rawQuery,
      headers,
      body: bytes,
      bodyInFile: spec.bodyInFile ?? false,
      httpVersion: spec.httpVersion ?? 1.1,
      startTime: spec.startTime ?? Date.now(),
      id: randomBytes(16).toString('hex'),
    };
    this.client = { ip: spec.client?.ip ?? '127.0.0.1', port: spec.client?.port ?? 54321 };
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
    this.serviceRequest = this.initialServiceRequest();
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

  private initialServiceRequest(): FakeKong['serviceRequest'] {
    const svc = this.service;
    const req = this.request;
    let path = req.rawPath;
    const route = this.route;
    if (route?.strip_path && route.paths?.length) {
      const prefix = route.paths
        .filter((p) => !p.startsWith('~') && path.startsWith(p))
        .sort((a, b) => b.length - a.length)[0];
      if (prefix !== undefined) path = path.slice(prefix.length);
    }
    if (svc?.path) {
      const base = svc.path;
      if (path === '' || path === '/') path = base;
      else
        path =
          base.endsWith('/') && path.startsWith('/')
            ? base + path.slice(1)
            : !base.endsWith('/') && !path.startsWith('/')
              ? `${base}/${path}`
              : base + path;
    }
    if (!path.startsWith('/')) path = `/${path}`;
    const headers: MultiMap = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = [...v];
    const host = svc?.host ?? req.host;
    const port = svc?.port ?? req.port;
    if (!route?.preserve_host) headers.host = [port === 80 || port === 443 ? host : `${host}:${port}`];
    return {
      method: req.method,
      scheme: svc?.protocol === 'https' ? 'https' : 'http',
      host,
      port,
      path,
      query: req.rawQuery,
      headers,
      body: req.body,
      bufferingEnabled: false,
    };
  }

  /** True when simulating a Kong before 3.0. */
  get isKong2(): boolean {
    return this.version[0] < 3;
  }

  /** True when the service has answered (the request passed rewrite/access without an exit). */
  get proxied(): boolean {
    return this.responseState !== undefined && this.responseState.source === 'service';
  }

  /** The service answers: called when the response or log phase starts without an exit. */
  proxy(): void {
    if (this.responseState || this.exit) return;
    this.responseState = this.buildServiceResponse();
  }

  private buildServiceResponse(): ResponseState {
    const headers: MultiMap = {};
    for (const [k, v] of Object.entries(this.upstream.headers)) headers[k] = [...v];
    for (const op of this.responseOps) applyHeaderOp(headers, op);
    return { status: this.upstream.status, headers, body: this.upstream.body, source: 'service' };
  }

  /** The response as it is now, or as it would be if the service answered now. */
  currentResponse(): ResponseState {
    return this.responseState ?? this.buildServiceResponse();
  }

  /** A snapshot of the client's response. */
  responseSnapshot(): ResponseSnapshot {
    const r = this.currentResponse();
    const headers: MultiMap = {};
    for (const [k, v] of Object.entries(r.headers)) headers[k] = [...v];
    return { status: r.status, headers, body: r.body, source: r.source, header: (name) => firstHeader(headers, name) };
  }

  /** A snapshot of the request to the service. */
  serviceRequestSnapshot(): ServiceRequestSnapshot {
    const sr = this.serviceRequest;
    const headers: MultiMap = {};
    for (const [k, v] of Object.entries(sr.headers)) headers[k] = [...v];
    return {
      ...sr,
      headers,
      queryArgs: argsToMultiMap(parseArgs(sr.query, 0)),
      header: (name) => firstHeader(headers, name),
    };
  }

  /** The `kong.log.setSerializeValue` values, applied to an empty record. */
  serializeValues(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.applySerializeOps(out);
    return out;
  }

  /** Records a log line as `kong.log.<level>` writes it: the arguments' `tostring`s concatenated. */
  log(level: string, args: unknown[], message: string = args.map(luaToString).join('')): void {
    this.logs.push({ phase: this.phase, level, message, args });
  }

  /** `kong.response.set_status`: changes the response once the service has answered; before that nginx lets the service's status win. */
  setStatus(status: number): void {
    if (this.responseState) this.responseState.status = status;
  }

  /**
   * Kong's answer to `method(...args)` in the current phase. Throws {@link KongRaise} where Kong
   * raises and {@link NotSimulated} for what the kit does not implement.
   */
  answer(method: string, args: unknown[]): Answer {
    const info = PDK_FUNCTIONS.get(method);
    if (
      !info ||
      (info.since && compareVersion(this.version, info.since) < 0) ||
      (info.until && compareVersion(this.version, info.until) > 0)
    ) {
      // Kong logs this and answers plugin.Step with nil.
      this.log('err', [`could not find pdk method: ${method}`]);
      return { kind: 'unknown-method' };
    }
    if (this.options.checkPhases && info.phases && !info.phases.includes(this.phase)) {
      throw new KongRaise(
        `${method}: function cannot be called in ${this.phase} phase (only in: ${info.phases.join(', ')})`,
      );
    }
    if (this.phase === 'log' && this.options.logPhaseTimer && raisesInLogTimer(method)) {
      throw new KongRaise(`${method} raises in the log phase: ${LOG_TIMER_HELP}`);
    }
    let value: unknown;
    const forced = this.pdkErrors.get(method);
    const override = this.overrides.get(method);
    if (forced !== undefined) value = new NilErr(forced);
    else if (override) value = override(args, this);
    else {
      const impl = IMPLEMENTATIONS.get(method);
      if (!impl) throw new NotSimulated(method);
      value = impl(this, args, method);
    }
    if (value === EXITED) return { kind: 'exit' };
    const rawBytes = (info.flags & PdkCallFlags.RAW_BYTES) !== 0;
    const multimap = (info.flags & PdkCallFlags.MULTIMAP) !== 0;
    if (value instanceof NilErr) {
      if (multimap)
        throw new KongRaise(
          `${method} returned (nil, "${value.message}"): Kong's fix_mmap cannot handle nil (bad argument #1 to 'pairs'), so Kong raises`,
        );
      if (rawBytes && !this.isKong2)
        throw new KongRaise(
          `${method} returned (nil, "${value.message}"): Kong's fix_raw cannot pack nil as binary, so Kong raises`,
        );
      return { kind: 'nil-err', message: value.message };
    }
    if (value === undefined || value === null) {
      if (multimap) throw new KongRaise(`${method} returned nil: Kong's fix_mmap cannot handle nil, so Kong raises`);
      if (rawBytes && !this.isKong2)
        throw new KongRaise(`${method} returned nil: Kong's fix_raw cannot pack nil as binary, so Kong raises`);
      return { kind: 'value', value: undefined };
    }
    if (rawBytes) {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : String(value));
      // Kong 3.x packs raw bodies as bin (fix_raw); 2.x sends them as plain Lua strings (str).
      return this.isKong2 ? { kind: 'value', value: bytes, strBytes: bytes } : { kind: 'value', value: bytes };
    }
    if (multimap) return { kind: 'value', value: multimapWire(value) };
    return { kind: 'value', value: toLuaWire(value) };
  }

  // --- helpers for the implementations ---

  /** `X-Forwarded-*` headers count only for clients in `trusted_ips`. */
  get clientTrusted(): boolean {
    return isTrusted(this.options.trustedIps, this.client.ip);
  }

  private forwarded(name: string): string | undefined {
    return this.clientTrusted ? firstHeader(this.request.headers, name) : undefined;
  }

  /** The request body as `kong.request.get_raw_body` returns it, or its `(nil, err)`. */
  rawBody(maxAllowedFileSize: unknown): Buffer | NilErr {
    if (!this.request.bodyInFile) return this.request.body;
    if (
      typeof maxAllowedFileSize === 'number' &&
      versionAtLeast(this.version, '3.8.0') &&
      this.request.body.length <= maxAllowedFileSize
    )
      return this.request.body;
    return new NilErr("request body did not fit into client body buffer, consider raising 'client_body_buffer_size'");
  }

  /** A body parsed as `kong.request.get_body` parses it. */
  parseBody(method: string, body: Buffer | NilErr, contentType: string | undefined, maxArgs: unknown): unknown {
    if (!contentType) return new NilErr('missing content type');
    if (body instanceof NilErr) return body;
    const mt = mediaType(contentType);
    if (mt === 'application/x-www-form-urlencoded')
      return parseArgs(body.toString('utf8'), typeof maxArgs === 'number' ? maxArgs : 100);
    if (mt === 'application/json' || (mt && /^application\/[^;]*\+json$/.test(mt))) {
      try {
        const v: unknown = JSON.parse(body.toString('utf8'));
        if (typeof v !== 'object' || v === null) return new NilErr('invalid json body');
        return v;
      } catch {
        return new NilErr('invalid json body');
      }
    }
    if (mt === 'multipart/form-data') throw new NotSimulated(method, 'multipart/form-data bodies');
    return new NilErr(`unsupported content type '${contentType}'`);
  }

  /** A response header change: recorded before the service answers, applied after. */
  changeResponseHeader(op: HeaderOp): void {
    if (this.responseState) applyHeaderOp(this.responseState.headers, op);
    else this.responseOps.push(op);
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
    const out: MultiMap = {};
    for (const op of this.responseOps) applyHeaderOp(out, op);
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? [...v] : [v];
    if (contentType && !out['content-type']) out['content-type'] = [contentType];
    out['content-length'] = [String(rawBody.length)];
    this.exit = { phase: this.phase, via, status, body, headers, rawBody };
    this.responseState = { status, headers: out, body: rawBody, source: 'exit' };
  }

  /** `ngx.var.<name>`, as far as the kit derives it; undefined for an unknown variable. */
  nginxVar(name: string): string | undefined {
    if (Object.prototype.hasOwnProperty.call(this.vars, name)) return this.vars[name];
    const req = this.request;
    const sr = this.serviceRequest;
    if (name.startsWith('http_')) return firstHeader(req.headers, name.slice(5).replace(/_/g, '-'));
    if (name.startsWith('arg_')) {
      const v = firstArg(parseArgs(req.rawQuery, 0)[name.slice(4)]);
      return v === true ? '' : v;
    }
    if (name.startsWith('cookie_')) {
      const want = name.slice(7);
      for (const c of (firstHeader(req.headers, 'cookie') ?? '').split(';')) {
        const [k, ...rest] = c.trim().split('=');
        if (k === want) return rest.join('=');
      }
      return undefined;
    }
    const q = req.rawQuery;
    const derived: Record<string, string | undefined> = {
      request_uri: req.rawPath + (q ? `?${q}` : ''),
      uri: normalizePath(req.rawPath),
      args: q || undefined,
      query_string: q || undefined,
      is_args: q ? '?' : '',
      host: req.host,
      hostname: 'kong-test',
      scheme: req.scheme,
      https: req.scheme === 'https' ? 'on' : '',
      request_method: req.method,
      remote_addr: this.client.ip,
      remote_port: String(this.client.port),
      realip_remote_addr: this.client.ip,
      realip_remote_port: String(this.client.port),
      binary_remote_addr: undefined,
      server_addr: '127.0.0.1',
      server_port: String(req.port),
      server_name: 'kong',
      server_protocol: `HTTP/${req.httpVersion === 2 ? '2.0' : req.httpVersion === 1 ? '1.0' : String(req.httpVersion)}`,
      content_type: firstHeader(req.headers, 'content-type'),
      content_length: firstHeader(req.headers, 'content-length'),
      request_length: String(req.body.length),
      request_id: req.id,
      upstream_uri: sr.path + (sr.query ? `?${sr.query}` : ''),
      upstream_scheme: sr.scheme,
      upstream_host: firstHeader(sr.headers, 'host'),
      ssl_protocol: req.scheme === 'https' ? this.tlsVersion : undefined,
      status: this.responseState ? String(this.responseState.status) : undefined,
    };
    return derived[name];
  }

  private applySerializeOps(record: Record<string, unknown>): void {
    for (const { key, value, mode } of this.serializeOps) {
      const parts = key.split('.');
      let target: Record<string, unknown> | undefined = record;
      for (const p of parts.slice(0, -1)) {
        if (!isPlainObject(target[p])) {
          if (mode === 'replace') {
            target = undefined;
            break;
          }
          target[p] = {};
        }
        target = target[p] as Record<string, unknown>;
      }
      if (!target) continue;
      const last = parts.at(-1)!;
      const exists = target[last] !== undefined;
      if (mode === 'set' || (mode === 'add' && !exists) || (mode === 'replace' && exists))
        target[last] = deepCopy(value);
    }
  }

  /** The record `kong.log.serialize` JSON-encodes (idl/entities.yaml: the http shape). */
  serializeRecord(): Record<string, unknown> {
    const req = this.request;
    const resp = this.currentResponse();
    const sr = this.serviceRequest;
    const q = req.rawQuery;
    const proxied = this.responseState?.source === 'service' || (!this.exit && this.responseState === undefined);
    const defaultPort = req.port === (req.scheme === 'https' ? 443 : 80);
    const cred = this.credential;
    const record: Record<string, unknown> = {
      request: {
        id: req.id,
        uri: req.rawPath + (q ? `?${q}` : ''),
        url: `${req.scheme}://${req.host}${defaultPort ? '' : `:${req.port}`}${req.rawPath}${q ? `?${q}` : ''}`,
        querystring: parseArgs(q),
        method: req.method,
        headers: ngxHeaders(req.headers),
        size: req.body.length + 64,
        ...(req.scheme === 'https'
          ? { tls: { version: this.tlsVersion, cipher: 'TLS_AES_256_GCM_SHA384', client_verify: 'NONE' } }
          : {}),
      },
      upstream_uri: sr.path + (sr.query ? `?${sr.query}` : ''),
      upstream_status: proxied ? String(this.upstream.status) : '',
      response: { status: resp.status, headers: ngxHeaders(resp.headers), size: resp.body.length + 128 },
      latencies: { ...this.latencies, ...(proxied ? {} : { proxy: -1 }) },
      tries: proxied ? [{ balancer_start: req.startTime, balancer_latency: 0, ip: '192.0.2.10', port: sr.port }] : [],
      ...(cred ? { authenticated_entity: { id: cred.id, consumer_id: cred.consumer_id ?? cred.consumer?.id } } : {}),
      ...(this.route ? { route: this.route } : {}),
      ...(this.service ? { service: this.service } : {}),
      ...(this.consumer ? { consumer: this.consumer } : {}),
      client_ip: this.client.ip,
      started_at: req.startTime,
      source: resp.source === 'service' ? 'upstream' : 'kong',
      workspace: DEFAULT_WORKSPACE_ID,
      workspace_name: 'default',
    };
    this.applySerializeOps(record);
    return record;
  }

  // Kept private-ish but reachable from the implementation table.
  /** @internal */
  _inspect(on?: boolean): boolean {
    if (on !== undefined) this.inspectOn = on;
    return this.inspectOn;
  }

  /** @internal */
  _serializeOp(key: string, value: unknown, mode: string): void {
    this.serializeOps.push({ key, value, mode });
  }

  /** @internal */
  _forwarded(name: string): string | undefined {
    return this.forwarded(name);
  }

  /** @internal: the log phase of Kong < 3.0 runs without ngx.ctx (no route, service, consumer). */
  get _ctxLost(): boolean {
    return this.phase === 'log' && this.isKong2;
  }

  /** @internal */
  get _options(): FakeKongOptions {
    return this.options;
  }
}

/** Marks the answer to an exit/error call. */
const EXITED = Symbol('exited');

function isTrusted(list: readonly string[], ip: string): boolean {
  return list.some((t) => t === ip || t === '0.0.0.0/0' || t === '::/0');
}

/** Kong's fix_mmap: a string → [s], `true` → [], a list stays; empty → {} (never `[]`). */
function multimapWire(v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isPlainObject(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (x === true) out[k] = [];
    else if (typeof x === 'string') out[k] = [x];
    else if (x !== undefined && x !== null) out[k] = toLuaWire(x) ?? [];
  }
  return out;
}

function limitHeaders(h: MultiMap, max: unknown): MultiMap {
  const n = typeof max === 'number' && max > 0 ? max : 100;
  const out: MultiMap = {};
  let count = 0;
  for (const [k, v] of Object.entries(h)) {
    if (count >= n) break;
    out[k] = [...v];
    count += v.length;
  }
  return out;
}

function exitBody(method: string, body: unknown): { raw: Buffer; contentType?: string } {
  if (body === undefined || body === null) return { raw: Buffer.alloc(0) };
  if (typeof body === 'string') return { raw: Buffer.from(body, 'utf8') };
  if (Buffer.isBuffer(body)) return { raw: body };
  if (isPlainObject(body) || Array.isArray(body))
    return { raw: Buffer.from(cjsonEncode(body)), contentType: 'application/json; charset=utf-8' };
  throw new KongRaise(`${method}: body must be a nil, string or table`);
}

function exitHeaders(method: string, h: unknown): Record<string, string | string[]> {
  if (h === undefined || h === null) return {};
  if (!isPlainObject(h)) throw new KongRaise(`${method}: headers must be a nil or table`);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    const values = headerValues(method, k, v);
    out[k.toLowerCase()] = Array.isArray(v) ? values : values[0]!;
  }
  return out;
}

type Impl = (k: FakeKong, a: unknown[], method: string) => unknown;

const MEMORY_UNITS: Record<string, [number, string]> = {
  b: [1, ''],
  k: [1024, 'KiB'],
  m: [1024 * 1024, 'MiB'],
  g: [1024 * 1024 * 1024, 'GiB'],
};

/** Kong's behaviour for each simulated PDK function, by Kong's name. */
const IMPLEMENTATIONS: ReadonlyMap<string, Impl> = new Map<string, Impl>([
  // kong.client
  [
    'kong.client.authenticate',
    (k, [consumer, credential], m) => {
      if ((consumer === undefined || consumer === null) && (credential === undefined || credential === null))
        throw new KongRaise(`${m}: either credential or consumer must be provided`);
      if (consumer != null && !isPlainObject(consumer)) throw new KongRaise(`${m}: consumer must be a table or nil`);
      if (credential != null && !isPlainObject(credential))
        throw new KongRaise(`${m}: credential must be a table or nil`);
      k.consumer = (consumer ?? undefined) as Consumer | undefined;
      k.credential = (credential ?? undefined) as Credential | undefined;
      return undefined;
    },
  ],
  ['kong.client.get_consumer', (k) => (k._ctxLost ? undefined : k.consumer)],
  ['kong.client.get_credential', (k) => (k._ctxLost ? undefined : k.credential)],
  ['kong.client.get_ip', (k) => k.client.ip],
  ['kong.client.get_port', (k) => k.client.port],
  ['kong.client.get_forwarded_ip', (k) => k._forwarded('x-forwarded-for')?.split(',')[0]?.trim() || k.client.ip],
  [
    'kong.client.get_forwarded_port',
    (k) => {
      const p = Number(k._forwarded('x-forwarded-port'));
      return Number.isInteger(p) && p > 0 ? p : k.client.port;
    },
  ],
  [
    'kong.client.get_protocol',
    (k, [allowTerminated]) => {
      if (!k.route) return new NilErr('No active route found');
      if (k.request.scheme === 'https') return 'https';
      if (allowTerminated === true && k._forwarded('x-forwarded-proto')?.toLowerCase() === 'https') return 'https';
      return 'http';
    },
  ],
  [
    'kong.client.load_consumer',
    (k, [id, byUsername], m) => {
      const want = str(m, 'consumer_id', id);
      const all = [...k.consumers, ...(k.consumer ? [k.consumer] : [])];
      return all.find((c) => c.id === want) ?? (byUsername === true ? all.find((c) => c.username === want) : undefined);
    },
  ],
  // kong.cluster, kong.node, kong.plugin, kong.ip
  ['kong.cluster.get_id', () => '5f3a0e6c-2b1d-4c7e-9a8f-6d4b2c1e0f03'],
  ['kong.node.get_id', () => 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e05'],
  ['kong.node.get_hostname', () => 'kong-test'],
  [
    'kong.node.get_memory_stats',
    (_k, [unit, scale], m) => {
      const u = unit === undefined || unit === null ? 'b' : str(m, 'unit', unit).toLowerCase();
      const spec = MEMORY_UNITS[u];
      if (!spec) throw new KongRaise(`${m}: invalid unit '${String(unit)}' (expected 'k/K', 'm/M', or 'g/G')`);
      const digits = scale === undefined || scale === null ? 2 : int(m, 'scale', scale, 0, 10);
      const f = (n: number) => (u === 'b' ? n : `${(n / spec[0]).toFixed(digits)} ${spec[1]}`);
      return {
        lua_shared_dicts: {
          kong: { allocated_slabs: f(40960), capacity: f(5242880) },
          kong_db_cache: { allocated_slabs: f(794624), capacity: f(134217728) },
        },
        workers_lua_vms: [{ http_allocated_gc: f(50331648), pid: process.pid }],
      };
    },
  ],
  ['kong.plugin.get_id', (k) => k._options.pluginId],
  ['kong.ip.is_trusted', (k, [addr], m) => isTrusted(k._options.trustedIps, str(m, 'address', addr))],
  // kong.ctx.shared, kong.nginx
  ['kong.ctx.shared.get', (k, [key]) => (typeof key === 'string' ? k.ctxShared[key] : undefined)],
  [
    'kong.ctx.shared.set',
    (k, [key, value], m) => {
      if (typeof key !== 'string') throw new KongRaise(`${m}: key must be a string`);
      if (value === undefined || value === null) delete k.ctxShared[key];
      else k.ctxShared[key] = value;
      return undefined;
    },
  ],
  ['kong.nginx.get_ctx', (k, [key]) => (typeof key === 'string' ? k.ngxCtx[key] : undefined)],
  [
    'kong.nginx.set_ctx',
    (k, [key, value], m) => {
      if (typeof key !== 'string') throw new KongRaise(`${m}: key must be a string`);
      if (value === undefined || value === null) delete k.ngxCtx[key];
      else k.ngxCtx[key] = value;
      return undefined;
    },
  ],
  ['kong.nginx.get_var', (k, [name], m) => k.nginxVar(str(m, 'variable name', name))],
  ['kong.nginx.get_subsystem', () => 'http'],
  ['kong.nginx.get_tls1_version_str', (k) => (k.request.scheme === 'https' ? k.tlsVersion : undefined)],
  ['kong.nginx.req_start_time', (k) => k.request.startTime / 1000],
  [
    'kong.nginx.get_statistics',
    () => ({
      connections_active: 1,
      connections_reading: 0,
      connections_writing: 1,
      connections_waiting: 0,
      connections_accepted: 1,
      connections_handled: 1,
      total_requests: 1,
    }),
  ],
  // kong.log
  ...(['alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const).map((level): [string, Impl] => [
    `kong.log.${level}`,
    (k, args) => {
      k.log(level, args);
      return undefined;
    },
  ]),
  [
    'kong.log',
    (k, args) => {
      k.log('notice', args);
      return undefined;
    },
  ],
  [
    'kong.log.deprecation',
    (k, args) => {
      k.log('deprecation', args);
      return undefined;
    },
  ],
  [
    'kong.log.inspect',
    (k, args) => {
      const show = (a: unknown) =>
        typeof a === 'string'
          ? JSON.stringify(a)
          : a !== null && typeof a === 'object' && !Buffer.isBuffer(a)
            ? cjsonEncode(a)
            : luaToString(a);
      if (k._inspect()) k.log('inspect', args, args.map(show).join(' '));
      return undefined;
    },
  ],
  ['kong.log.inspect.on', (k) => void k._inspect(true)],
  ['kong.log.inspect.off', (k) => void k._inspect(false)],
  ['kong.log.serialize', (k) => cjsonEncode(k.serializeRecord())],
  [
    'kong.log.set_serialize_value',
    (k, [key, value, options], m) => {
      if (typeof key !== 'string') throw new KongRaise(`${m}: key must be a string`);
      const t = typeof value;
      if (!(t === 'number' || t === 'string' || t === 'boolean' || isPlainObject(value) || Array.isArray(value))) {
        throw new KongRaise(
          `${m}: value must be a number, string, boolean or a non-self-referencial table containing numbers, string and booleans`,
        );
      }
      let mode = 'set';
      if (options !== undefined && options !== null) {
        if (!isPlainObject(options)) throw new KongRaise(`${m}: options must be a table`);
        if (options.mode !== undefined) mode = String(options.mode);
      }
      if (!['set', 'add', 'replace'].includes(mode))
        throw new KongRaise(`${m}: mode must be 'set', 'add' or 'replace'`);
      k._serializeOp(key, value, mode);
      return undefined;
    },
  ],
  // kong.request
  ['kong.request.get_scheme', (k) => k.request.scheme],
  ['kong.request.get_host', (k) => k.request.host],
  ['kong.request.get_port', (k) => k.request.port],
  ['kong.request.get_forwarded_scheme', (k) => k._forwarded('x-forwarded-proto')?.toLowerCase() ?? k.request.scheme],
  [
    'kong.request.get_forwarded_host',
    (k) => k._forwarded('x-forwarded-host')?.split(',')[0]?.trim().replace(/:\d+$/, '') ?? k.request.host,
  ],
  [
    'kong.request.get_forwarded_port',
    (k) => {
      const p = Number(k._forwarded('x-forwarded-port'));
      return Number.isInteger(p) && p > 0 ? p : k.request.port;
    },
  ],
  ['kong.request.get_forwarded_path', (k) => k._forwarded('x-forwarded-path') ?? k.request.rawPath],
  ['kong.request.get_forwarded_prefix', (k) => k._forwarded('x-forwarded-prefix')],
  ['kong.request.get_http_version', (k) => k.request.httpVersion],
  ['kong.request.get_method', (k) => k.request.method],
  ['kong.request.get_path', (k) => normalizePath(k.request.rawPath)],
  ['kong.request.get_raw_path', (k) => k.request.rawPath],
  [
    'kong.request.get_path_with_query',
    (k) => normalizePath(k.request.rawPath) + (k.request.rawQuery ? `?${k.request.rawQuery}` : ''),
  ],
  ['kong.request.get_raw_query', (k) => k.request.rawQuery],
  ['kong.request.get_query', (k, [max]) => parseArgs(k.request.rawQuery, typeof max === 'number' ? max : 100)],
  [
    'kong.request.get_query_arg',
    (k, [name], m) => firstArg(parseArgs(k.request.rawQuery, 100)[str(m, 'query argument name', name)]),
  ],
  ['kong.request.get_header', (k, [name], m) => firstHeader(k.request.headers, str(m, 'header name', name))],
  ['kong.request.get_headers', (k, [max]) => limitHeaders(k.request.headers, max)],
  ['kong.request.get_raw_body', (k, [maxFile]) => k.rawBody(maxFile)],
  [
    'kong.request.get_body',
    (k, [mimetype, maxArgs, maxFile], m) =>
      k.parseBody(
        m,
        k.rawBody(maxFile),
        typeof mimetype === 'string' ? mimetype : firstHeader(k.request.headers, 'content-type'),
        maxArgs,
      ),
  ],
  ['kong.request.get_start_time', (k) => k.request.startTime],
  ['kong.request.get_uri_captures', (k) => k.uriCaptures ?? { unnamed: [], named: {} }],
  // kong.response
  ['kong.response.get_status', (k) => k.currentResponse().status],
  ['kong.response.get_source', (k) => (k.currentResponse().source === 'service' ? 'service' : 'exit')],
  ['kong.response.get_header', (k, [name], m) => firstHeader(k.currentResponse().headers, str(m, 'header name', name))],
  ['kong.response.get_headers', (k, [max]) => limitHeaders(k.currentResponse().headers, max)],
  [
    'kong.response.set_status',
    (k, [status], m) => {
      k.setStatus(int(m, 'code', status, 100, 599));
      return undefined;
    },
  ],
  [
    'kong.response.set_header',
    (k, [name, value], m) =>
      void k.changeResponseHeader({
        op: 'set',
        name: str(m, 'header name', name),
        values: headerValues(m, name, value),
      }),
  ],
  [
    'kong.response.add_header',
    (k, [name, value], m) =>
      void k.changeResponseHeader({
        op: 'add',
        name: str(m, 'header name', name),
        values: headerValues(m, name, value),
      }),
  ],
  [
    'kong.response.clear_header',
    (k, [name], m) => void k.changeResponseHeader({ op: 'clear', name: str(m, 'header name', name) }),
  ],
  [
    'kong.response.set_headers',
    (k, [headers], m) => {
      const h = table(m, 'headers', headers);
      for (const [name, value] of Object.entries(h))
        k.changeResponseHeader({ op: 'set', name, values: headerValues(m, name, value) });
      return undefined;
    },
  ],
  [
    'kong.response.exit',
    (k, [status, body, headers], m) => {
      const s = int(m, 'code', status, 100, 599);
      const h = exitHeaders(m, headers);
      const { raw, contentType } = exitBody(m, body);
      k.endRequest('exit', s, body, h, raw, contentType);
      return EXITED;
    },
  ],
  [
    'kong.response.error',
    (k, [status, message, headers], m) => {
      const s = int(m, 'code', status, 400, 599);
      if (message !== undefined && message !== null && typeof message !== 'string')
        throw new KongRaise(`${m}: message must be a nil or string`);
      const h = exitHeaders(m, headers);
      const text = (message as string | undefined) ?? ERROR_MESSAGES[s] ?? `The upstream server responded with ${s}`;
      const body = { message: text };
      k.endRequest('error', s, body, h, Buffer.from(cjsonEncode(body)), 'application/json; charset=utf-8');
      return EXITED;
    },
  ],
  // kong.router
  ['kong.router.get_route', (k) => (k._ctxLost ? undefined : k.route)],
  ['kong.router.get_service', (k) => (k._ctxLost ? undefined : k.service)],
  // kong.service
  [
    'kong.service.set_target',
    (k, [host, port], m) => {
      const h = str(m, 'host', host);
      const p = int(m, 'port', port, 0, 65535);
      k.serviceRequest.target = { host: h, port: p };
      k.serviceRequest.host = h;
      k.serviceRequest.port = p;
      return undefined;
    },
  ],
  [
    'kong.service.set_upstream',
    (k, [host], m) => {
      const h = str(m, 'host', host);
      if (!k._options.upstreams.includes(h)) return new NilErr(`could not find an Upstream named '${h}'`);
      k.serviceRequest.upstream = h;
      return true;
    },
  ],
  ['kong.service.set_retries', (k, [n], m) => void (k.serviceRequest.retries = int(m, 'retries', n, 0, 32767))],
  [
    'kong.service.set_timeouts',
    (k, [c, w, r], m) => {
      const max = 2 ** 31 - 2;
      k.serviceRequest.timeouts = {
        connect: int(m, 'connect_timeout', c, 1, max),
        write: int(m, 'write_timeout', w, 1, max),
        read: int(m, 'read_timeout', r, 1, max),
      };
      return undefined;
    },
  ],
  [
    'kong.service.set_tls_verify',
    (k, [on], m) => {
      if (typeof on !== 'boolean') throw new KongRaise(`${m}: argument must be a boolean`);
      k.serviceRequest.tlsVerify = on;
      return true;
    },
  ],
  [
    'kong.service.set_tls_verify_depth',
    (k, [depth], m) => {
      k.serviceRequest.tlsVerifyDepth = int(m, 'depth', depth, 0, 64);
      return true;
    },
  ],
  // kong.service.request
  [
    'kong.service.request.set_header',
    (k, [name, value], m) => {
      let values: string[];
      try {
        values = headerValues(m, name, value);
      } catch (e) {
        return new NilErr((e as Error).message.replace(`${m}: `, ''));
      }
      applyHeaderOp(k.serviceRequest.headers, { op: 'set', name: name as string, values });
      return undefined;
    },
  ],
  [
    'kong.service.request.add_header',
    (k, [name, value], m) =>
      void applyHeaderOp(k.serviceRequest.headers, {
        op: 'add',
        name: str(m, 'header name', name),
        values: headerValues(m, name, value),
      }),
  ],
  [
    'kong.service.request.clear_header',
    (k, [name], m) => void applyHeaderOp(k.serviceRequest.headers, { op: 'clear', name: str(m, 'header name', name) }),
  ],
  [
    'kong.service.request.set_headers',
    (k, [headers], m) => {
      for (const [name, value] of Object.entries(table(m, 'headers', headers)))
        applyHeaderOp(k.serviceRequest.headers, { op: 'set', name, values: headerValues(m, name, value) });
      return undefined;
    },
  ],
  [
    'kong.service.request.set_path',
    (k, [path], m) => {
      const p = str(m, 'path', path);
      if (!p.startsWith('/')) throw new KongRaise(`${m}: path must start with /`);
      k.serviceRequest.path = p;
      return undefined;
    },
  ],
  ['kong.service.request.set_raw_query', (k, [q], m) => void (k.serviceRequest.query = str(m, 'query', q))],
  [
    'kong.service.request.set_query',
    (k, [args], m) => {
      const t = table(m, 'args', args);
      for (const [name, v] of Object.entries(t)) {
        const ok = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
        if (!(ok(v) || (Array.isArray(v) && v.every(ok))))
          throw new KongRaise(`${m}: attempt to set invalid value for query argument "${name}"`);
      }
      k.serviceRequest.query = encodeArgs(t as Record<string, unknown>);
      return undefined;
    },
  ],
  [
    'kong.service.request.clear_query_arg',
    (k, [name], m) => {
      const n = str(m, 'query argument name', name);
      const args: Record<string, unknown> = parseArgs(k.serviceRequest.query, 0);
      delete args[n];
      k.serviceRequest.query = encodeArgs(args);
      return undefined;
    },
  ],
  [
    'kong.service.request.set_method',
    (k, [method], m) => {
      const v = str(m, 'method', method);
      if (!METHODS.has(v)) throw new KongRaise(`${m}: invalid method: ${v}`);
      k.serviceRequest.method = v;
      return undefined;
    },
  ],
  [
    'kong.service.request.set_scheme',
    (k, [scheme], m) => {
      const v = str(m, 'scheme', scheme);
      if (v !== 'http' && v !== 'https') throw new KongRaise(`${m}: invalid scheme: ${v}`);
      k.serviceRequest.scheme = v;
      return undefined;
    },
  ],
  ['kong.service.request.enable_buffering', (k) => void (k.serviceRequest.bufferingEnabled = true)],
  [
    'kong.service.request.set_raw_body',
    (k, [body], m) => {
      if (typeof body !== 'string' && !Buffer.isBuffer(body)) throw new KongRaise(`${m}: body must be a string`);
      const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      k.serviceRequest.body = b;
      k.serviceRequest.headers['content-length'] = [String(b.length)];
      return undefined;
    },
  ],
  [
    'kong.service.request.set_body',
    (k, [args, mimetype], m) => {
      const t = table(m, 'args', args);
      if (mimetype !== undefined && mimetype !== null && typeof mimetype !== 'string')
        throw new KongRaise(`${m}: mime must be a string`);
      const ctype = (mimetype as string | undefined) ?? firstHeader(k.serviceRequest.headers, 'content-type');
      if (!ctype) return new NilErr('content type was neither explicitly given as an argument or received as a header');
      const mt = mediaType(ctype);
      let body: Buffer;
      if (mt === 'application/json') body = Buffer.from(cjsonEncode(t));
      else if (mt === 'application/x-www-form-urlencoded') body = Buffer.from(encodeArgs(t as Record<string, unknown>));
      else if (mt === 'multipart/form-data') throw new NotSimulated(m, 'multipart/form-data bodies');
      else return new NilErr(`unsupported content type '${ctype}'`);
      if (mimetype) k.serviceRequest.headers['content-type'] = [ctype];
      k.serviceRequest.body = body;
      k.serviceRequest.headers['content-length'] = [String(body.length)];
      return true;
    },
  ],
  // kong.service.response (log phase; raises there unless logPhaseTimer is off)
  ['kong.service.response.get_status', (k) => (k.proxied ? k.upstream.status : undefined)],
  [
    'kong.service.response.get_header',
    (k, [name], m) => (k.proxied ? firstHeader(k.upstream.headers, str(m, 'header name', name)) : undefined),
  ],
  [
    'kong.service.response.get_headers',
    (k, [max]) => (k.proxied ? limitHeaders(k.upstream.headers, max) : new NilErr('no upstream response')),
  ],
  ['kong.service.response.get_raw_body', (k) => (k.proxied ? k.upstream.body : undefined)],
  [
    'kong.service.response.get_body',
    (k, [mimetype, maxArgs], m) =>
      k.proxied
        ? k.parseBody(
            m,
            k.upstream.body,
            typeof mimetype === 'string' ? mimetype : firstHeader(k.upstream.headers, 'content-type'),
            maxArgs,
          )
        : new NilErr('no upstream response'),
  ],
  // kong.table
  ['kong.table.new', () => []],
  ['kong.table.clear', (_k, [t], m) => void table(m, 'tab', t)],
  [
    'kong.table.merge',
    (_k, [t1, t2]) => ({
      ...(isPlainObject(t1) ? t1 : Array.isArray(t1) ? { ...t1 } : {}),
      ...(isPlainObject(t2) ? t2 : Array.isArray(t2) ? { ...t2 } : {}),
    }),
  ],
  // kong.vault
  ['kong.vault.is_reference', (_k, [ref]) => typeof ref === 'string' && /^\{vault:\/\/[^}]+\}$/.test(ref)],
  [
    'kong.vault.parse_reference',
    (_k, [ref]) => {
      const m =
        typeof ref === 'string'
          ? /^\{vault:\/\/([^/}]+)\/([^/?#}]+)(?:\/([^?#}]*))?(?:\?([^#}]*))?(?:#(\d+))?\}$/.exec(ref)
          : null;
      if (!m) return new NilErr(`not a reference (${luaToString(ref)})`);
      const config = m[4]
        ? Object.fromEntries(m[4].split('&').map((kv) => kv.split('=') as [string, string]))
        : undefined;
      return {
        name: m[1],
        resource: m[2],
        ...(m[3] ? { key: m[3] } : {}),
        ...(config ? { config } : {}),
        ...(m[5] ? { version: Number(m[5]) } : {}),
      };
    },
  ],
  [
    'kong.vault.get',
    (k, [ref], m) => {
      const r = str(m, 'reference', ref);
      const v = k._options.vault[r];
      return v ?? new NilErr(`could not get value from external vault (${r} is not in the kit's vault option)`);
    },
  ],
]);

/** Kong names of the PDK functions the fake Kong implements. */
export const SIMULATED_FUNCTIONS: readonly string[] = [...IMPLEMENTATIONS.keys()].sort();
