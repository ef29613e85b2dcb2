/** The client's request as the fake Kong holds it, built from a {@link RequestSpec}. */
import { randomBytes } from 'node:crypto';
import { encodeArgs, firstHeader, mediaType, parseRequestUrl, toHeaderMultiMap } from '../http.js';
import type { RequestSpec } from '../types.js';
import type { ClientAddress, ClientRequest } from './state.js';

/** A test's body as bytes, and the content-type an object body implies. */
export function bodyBytes(body: unknown, contentType: string | undefined): { bytes: Buffer; contentType?: string } {
  if (body === undefined || body === null) return { bytes: Buffer.alloc(0) };
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8') };
  if (Buffer.isBuffer(body)) return { bytes: body };
  if (body instanceof Uint8Array) return { bytes: Buffer.from(body) };
  if (mediaType(contentType) === 'application/x-www-form-urlencoded')
    return { bytes: Buffer.from(encodeArgs(body as Record<string, unknown>)) };
  return { bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
}

/**
 * The request nginx hands Kong: `host` and `content-length` filled in as a client sends them,
 * and the body in a file when it is larger than `clientBodyBufferSize` (unless the spec says).
 */
export function buildClientRequest(spec: RequestSpec, clientBodyBufferSize: number): ClientRequest {
  const url = parseRequestUrl(spec.url ?? '/');
  const headers = toHeaderMultiMap(spec.headers);
  const { bytes, contentType } = bodyBytes(spec.body, firstHeader(headers, 'content-type'));
  if (contentType && !headers['content-type']) headers['content-type'] = [contentType];
  if (!headers.host)
    headers.host = [url.port === (url.scheme === 'https' ? 443 : 80) ? url.host : `${url.host}:${url.port}`];
  if (bytes.length > 0 && !headers['content-length'] && !headers['transfer-encoding'])
    headers['content-length'] = [String(bytes.length)];
  return {
    method: (spec.method ?? 'GET').toUpperCase(),
    scheme: url.scheme,
    host: url.host,
    port: url.port,
    rawPath: url.rawPath,
    rawQuery: url.rawQuery,
    headers,
    body: bytes,
    bodyInFile: spec.bodyInFile ?? bytes.length > clientBodyBufferSize,
    httpVersion: spec.httpVersion ?? 1.1,
    startTime: spec.startTime ?? Date.now(),
    id: randomBytes(16).toString('hex'),
  };
}

/** The client's address from the spec (default `127.0.0.1:54321`). */
export function clientAddress(spec: RequestSpec): ClientAddress {
  return { ip: spec.client?.ip ?? '127.0.0.1', port: spec.client?.port ?? 54321 };
}
