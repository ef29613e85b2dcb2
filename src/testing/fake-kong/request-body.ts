/**
 * Request and response bodies as `get_raw_body`/`get_body` read them, including a request body
 * nginx kept in a temporary file: before Kong 3.8 `kong.request.get_raw_body` cannot read it,
 * from 3.8 it reads it when given `max_allowed_file_size` (kong/pdk/request.lua).
 */
import { KongRaise, NilErr, NotSimulated } from '../errors.js';
import { mediaType, parseArgs } from '../http.js';
import type { ClientRequest } from './state.js';
import { versionAtLeast } from './kong-version.js';

// Kong's texts (kong/pdk/request.lua and lua-nginx-module's ngx.req.get_post_args).
const NOT_IN_BUFFER = "request body did not fit into client body buffer, consider raising 'client_body_buffer_size'";
const POST_ARGS_IN_FILE = 'request body in temp file not supported';

/** The request body as `kong.request.get_raw_body(max_allowed_file_size)` returns it, or its `(nil, err)`. */
export function rawRequestBody(
  method: string,
  req: ClientRequest,
  kongVersion: string,
  maxAllowedFileSize: unknown,
): Buffer | NilErr {
  if (!req.bodyInFile) return req.body;
  // Kong before 3.8 takes no argument and never reads the file.
  if (!versionAtLeast(kongVersion, '3.8.0')) return new NilErr(NOT_IN_BUFFER);
  if (maxAllowedFileSize === undefined || maxAllowedFileSize === null) return new NilErr(NOT_IN_BUFFER);
  if (typeof maxAllowedFileSize !== 'number')
    throw new KongRaise(`${method}: attempt to compare number with ${typeof maxAllowedFileSize}`);
  if (maxAllowedFileSize < 0) return new NilErr(NOT_IN_BUFFER);
  // 0 reads the file whatever its size.
  if (maxAllowedFileSize > 0 && req.body.length > maxAllowedFileSize)
    return new NilErr(`request body file too big: ${req.body.length} > ${Math.trunc(maxAllowedFileSize)}`);
  return req.body;
}

/** `kong.request.get_body(mimetype, max_args, max_allowed_file_size)`. */
export function requestBody(
  method: string,
  req: ClientRequest,
  kongVersion: string,
  contentType: string | undefined,
  maxArgs: unknown,
  maxAllowedFileSize: unknown,
): unknown {
  if (!contentType) return new NilErr('missing content type');
  // Form arguments come from ngx.req.get_post_args, which refuses a body in a file.
  if (mediaType(contentType) === 'application/x-www-form-urlencoded' && req.bodyInFile)
    return new NilErr(POST_ARGS_IN_FILE);
  return parseBody(method, rawRequestBody(method, req, kongVersion, maxAllowedFileSize), contentType, maxArgs);
}

/** A body parsed as `get_body` parses it (JSON, form arguments), or its `(nil, err)`. */
export function parseBody(
  method: string,
  body: Buffer | NilErr,
  contentType: string | undefined,
  maxArgs: unknown,
): unknown {
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
