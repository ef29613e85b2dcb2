/** `kong.request.*`: the client's request as Kong reads it. */
import { firstHeader, normalizePath, parseArgs } from '../../http.js';
import { firstArg, str } from '../arguments.js';
import { limitHeaders } from '../headers.js';
import { rawRequestBody, requestBody } from '../request-body.js';
import type { ImplEntry } from './impl.js';

/** The simulated `kong.request` functions. */
export const REQUEST: readonly ImplEntry[] = [
  ['kong.request.get_scheme', (k) => k.request.scheme],
  ['kong.request.get_host', (k) => k.request.host],
  ['kong.request.get_port', (k) => k.request.port],
  [
    'kong.request.get_forwarded_scheme',
    (k) => k.forwardedHeader('x-forwarded-proto')?.toLowerCase() ?? k.request.scheme,
  ],
  [
    'kong.request.get_forwarded_host',
    (k) => k.forwardedHeader('x-forwarded-host')?.split(',')[0]?.trim().replace(/:\d+$/, '') ?? k.request.host,
  ],
  [
    'kong.request.get_forwarded_port',
    (k) => {
      const p = Number(k.forwardedHeader('x-forwarded-port'));
      return Number.isInteger(p) && p > 0 ? p : k.request.port;
    },
  ],
  ['kong.request.get_forwarded_path', (k) => k.forwardedHeader('x-forwarded-path') ?? k.request.rawPath],
  ['kong.request.get_forwarded_prefix', (k) => k.forwardedHeader('x-forwarded-prefix')],
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
  ['kong.request.get_raw_body', (k, [maxFile], m) => rawRequestBody(m, k.request, k.options.kongVersion, maxFile)],
  [
    'kong.request.get_body',
    (k, [mimetype, maxArgs, maxFile], m) =>
      requestBody(
        m,
        k.request,
        k.options.kongVersion,
        typeof mimetype === 'string' ? mimetype : firstHeader(k.request.headers, 'content-type'),
        maxArgs,
        maxFile,
      ),
  ],
  ['kong.request.get_start_time', (k) => k.request.startTime],
  ['kong.request.get_uri_captures', (k) => k.uriCaptures ?? { unnamed: [], named: {} }],
];
