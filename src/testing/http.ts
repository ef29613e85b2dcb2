/**
 * HTTP pieces of the fake Kong: URLs, nginx-style query arguments, lower-cased header
 * multimaps, and the encodings `kong.service.request.set_query`/`set_body` use.
 */
import { FAIL_CLOSED_RESPONSE, type MultiMap } from '../../generated/index.js';

/** A parsed request URL. */
export interface ParsedUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** The path exactly as sent (`kong.request.get_raw_path`). */
  rawPath: string;
  /** The query string without `?` (`kong.request.get_raw_query`), '' when none. */
  rawQuery: string;
}

const DEFAULT_BASE = 'http://localhost:8000';

/**
 * Parses an absolute URL (`https://api.test/v1?x=1`) or a path (`/v1?x=1`, taken relative to
 * `http://localhost:8000`, Kong's default proxy listener). The path and query are kept byte for
 * byte, unlike WHATWG `URL`, which would normalise them.
 */
export function parseRequestUrl(url: string): ParsedUrl {
  const full = url.startsWith('/') ? DEFAULT_BASE + url : url;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(full);
  if (!m) throw new TypeError(`not a URL or path: ${url}`);
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https')
    throw new TypeError(`unsupported scheme ${scheme} in ${url} (http or https)`);
  const authority = m[2]!;
  let host = authority;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(authority);
  if (v6) {
    host = `[${v6[1]!}]`;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const i = authority.lastIndexOf(':');
    if (i >= 0) {
      host = authority.slice(0, i);
      port = Number(authority.slice(i + 1));
    }
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
    throw new TypeError(`bad port in ${url}`);
  return {
    scheme,
    host: host.toLowerCase() || 'localhost',
    port: port ?? (scheme === 'https' ? 443 : 80),
    rawPath: m[3] || '/',
    rawQuery: m[4] ?? '',
  };
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * `kong.request.get_path`: the path with percent-encoded unreserved characters decoded (other
 * escapes upper-cased), dot segments resolved and repeated slashes merged.
 */
export function normalizePath(raw: string): string {
  const decoded = raw.replace(/%([0-9a-fA-F]{2})/g, (_all, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  const out: string[] = [];
  for (const seg of decoded.replace(/\/{2,}/g, '/').split('/')) {
    if (seg === '.') continue;
    if (seg === '..') {
      if (out.length > 1) out.pop();
      continue;
    }
    out.push(seg);
  }
  let path = out.join('/');
  if (!path.startsWith('/')) path = `/${path}`;
  if (/\/\.\.?$/.test(decoded) && !path.endsWith('/')) path += '/';
  return path;
}

/** One query or form argument as nginx returns it: a string, `true` for a flag, or a list when repeated. */
export type NgxArg = string | true | (string | true)[];

function unescapeArg(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** `ngx.req.get_uri_args`/`get_post_args`: `a=1&a=2&flag&b=` → `{a: ['1','2'], flag: true, b: ''}`. */
export function parseArgs(raw: string, max = 100): Record<string, NgxArg> {
  const out: Record<string, NgxArg> = {};
  let n = 0;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    if (max > 0 && n >= max) break;
    n++;
    const eq = part.indexOf('=');
    const key = unescapeArg(eq < 0 ? part : part.slice(0, eq));
    if (key === '') continue;
    const value: string | true = eq < 0 ? true : unescapeArg(part.slice(eq + 1));
    const prev = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    const next: NgxArg = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Kong's `fix_mmap` on nginx arguments: a string → `[s]`, a flag → `[]`, a list stays a list. */
export function argsToMultiMap(args: Record<string, NgxArg>): Record<string, (string | true)[]> {
  const out: Record<string, (string | true)[]> = {};
  for (const [k, v] of Object.entries(args)) out[k] = v === true ? [] : Array.isArray(v) ? [...v] : [v];
  return out;
}

/** `ngx.escape_uri` (component): everything but `A–Z a–z 0–9 - . _ ~` is percent-encoded. */
export function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `ngx.encode_args` with sorted keys, as `kong.service.request.set_query` and form bodies use. */
export function encodeArgs(args: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of Object.keys(args).sort()) {
    const v = args[key];
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (x === true) parts.push(escapeUri(key));
      else if (x === false || x === null || x === undefined) continue;
      else parts.push(`${escapeUri(key)}=${escapeUri(String(x))}`);
    }
  }
  return parts.join('&');
}

/** A header map with lower-cased names and every value a list. */
export function toHeaderMultiMap(headers: Record<string, unknown> | undefined): MultiMap {
  const out: MultiMap = {};
  if (!headers) return out;
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    const key = name.toLowerCase();
    const values = (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
    out[key] = [...(out[key] ?? []), ...values];
  }
  return out;
}

/** The first value of a header in a multimap (names are case-insensitive; `_` matches `-`). */
export function firstHeader(headers: MultiMap, name: string): string | undefined {
  const key = name.toLowerCase();
  return headers[key]?.[0] ?? headers[key.replace(/_/g, '-')]?.[0];
}

/** Headers as nginx's `get_headers` returns them: one value → a string, several → a list. */
export function ngxHeaders(headers: MultiMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v.length) out[k] = v.length === 1 ? v[0]! : [...v];
  return out;
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  return contentType.split(';')[0]!.trim().toLowerCase() || undefined;
}

/** Reason phrases Kong's `kong.response.error` uses when no message is given. */
export const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  407: 'Proxy authentication required',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length required',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  417: 'Expectation failed',
  429: 'Too many requests',
  500: FAIL_CLOSED_RESPONSE.body.message,
  501: 'Not implemented',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
};
