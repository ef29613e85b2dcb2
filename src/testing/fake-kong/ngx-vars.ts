/** `ngx.var.<name>` as far as the kit derives it from the request (`kong.nginx.get_var`). */
import { firstHeader, normalizePath, parseArgs } from '../http.js';
import type { ClientAddress, ClientRequest, ServiceRequestState } from './state.js';
import { firstArg } from './arguments.js';

/** What the variables are derived from. */
export interface NgxVarSources {
  /** Variables the test gave; they win over derived ones. */
  vars: Readonly<Record<string, string>>;
  request: ClientRequest;
  client: ClientAddress;
  serviceRequest: ServiceRequestState;
  tlsVersion: string;
  /** The response status once the response exists. */
  status: number | undefined;
}

/** The variable's value; undefined for one nginx would not know. */
export function nginxVar(s: NgxVarSources, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(s.vars, name)) return s.vars[name];
  const req = s.request;
  const sr = s.serviceRequest;
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
    remote_addr: s.client.ip,
    remote_port: String(s.client.port),
    realip_remote_addr: s.client.ip,
    realip_remote_port: String(s.client.port),
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
    ssl_protocol: req.scheme === 'https' ? s.tlsVersion : undefined,
    status: s.status === undefined ? undefined : String(s.status),
  };
  return derived[name];
}
