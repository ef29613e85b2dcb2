/** `kong.service.*`, `kong.service.request.*` and `kong.service.response.*`: the upstream side. */
import { KongRaise, NilErr, NotSimulated } from '../../errors.js';
import { encodeArgs, firstHeader, mediaType, parseArgs } from '../../http.js';
import { cjsonEncode } from '../../lua.js';
import { headerValues, int, str, table } from '../arguments.js';
import { applyHeaderOp, limitHeaders } from '../headers.js';
import { parseBody } from '../request-body.js';
import type { ImplEntry } from './impl.js';

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

const isQueryScalar = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

/** The simulated `kong.service` functions (the target of the request). */
export const SERVICE: readonly ImplEntry[] = [
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
      if (!k.options.upstreams.includes(h)) return new NilErr(`could not find an Upstream named '${h}'`);
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
];

/** The simulated `kong.service.request` functions (the request the service receives). */
export const SERVICE_REQUEST: readonly ImplEntry[] = [
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
        if (!(isQueryScalar(v) || (Array.isArray(v) && v.every(isQueryScalar))))
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
];

/** The simulated `kong.service.response` functions (the service's answer; log phase unless the kit's timer is off). */
export const SERVICE_RESPONSE: readonly ImplEntry[] = [
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
        ? parseBody(
            m,
            k.upstream.body,
            typeof mimetype === 'string' ? mimetype : firstHeader(k.upstream.headers, 'content-type'),
            maxArgs,
          )
        : new NilErr('no upstream response'),
  ],
];
