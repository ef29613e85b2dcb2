/**
 * `kong.log.serialize`: the record Kong's log plugins receive (idl/entities.yaml: the http
 * shape), with the `kong.log.set_serialize_value` changes applied on top.
 */
import type { Consumer, Credential, Route, Service } from '../../../generated/index.js';
import { DEFAULT_WORKSPACE_ID } from '../entities.js';
import { ngxHeaders, parseArgs } from '../http.js';
import { deepCopy, isPlainObject } from '../lua.js';
import type { ClientAddress, ClientRequest, ResponseState, SerializeMode, ServiceRequestState } from './state.js';

/** The `kong.log.set_serialize_value` calls of one request, in order. */
export class SerializeValues {
  private readonly ops: { key: string; value: unknown; mode: SerializeMode }[] = [];

  /** Records one call (`key` may be dotted: `a.b.c`). */
  add(key: string, value: unknown, mode: SerializeMode): void {
    this.ops.push({ key, value, mode });
  }

  /** Applies the calls to `record`, in order. */
  applyTo(record: Record<string, unknown>): void {
    for (const { key, value, mode } of this.ops) {
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
}

/** What the serialized record is made of. */
export interface SerializeInput {
  request: ClientRequest;
  client: ClientAddress;
  response: ResponseState;
  /** The request reached the service (or will: no exit so far). */
  proxied: boolean;
  upstreamStatus: number;
  serviceRequest: ServiceRequestState;
  route: Route | undefined;
  service: Service | undefined;
  consumer: Consumer | undefined;
  credential: Credential | undefined;
  latencies: { kong: number; proxy: number; request: number; receive: number };
  tlsVersion: string;
}

/** The record `kong.log.serialize` JSON-encodes. */
export function serializeRecord(input: SerializeInput, values: SerializeValues): Record<string, unknown> {
  const { request: req, response: resp, serviceRequest: sr, proxied, credential: cred } = input;
  const q = req.rawQuery;
  const defaultPort = req.port === (req.scheme === 'https' ? 443 : 80);
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
        ? { tls: { version: input.tlsVersion, cipher: 'TLS_AES_256_GCM_SHA384', client_verify: 'NONE' } }
        : {}),
    },
    upstream_uri: sr.path + (sr.query ? `?${sr.query}` : ''),
    upstream_status: proxied ? String(input.upstreamStatus) : '',
    response: { status: resp.status, headers: ngxHeaders(resp.headers), size: resp.body.length + 128 },
    latencies: { ...input.latencies, ...(proxied ? {} : { proxy: -1 }) },
    tries: proxied ? [{ balancer_start: req.startTime, balancer_latency: 0, ip: '192.0.2.10', port: sr.port }] : [],
    ...(cred ? { authenticated_entity: { id: cred.id, consumer_id: cred.consumer_id ?? cred.consumer?.id } } : {}),
    ...(input.route ? { route: input.route } : {}),
    ...(input.service ? { service: input.service } : {}),
    ...(input.consumer ? { consumer: input.consumer } : {}),
    client_ip: input.client.ip,
    started_at: req.startTime,
    source: resp.source === 'service' ? 'upstream' : 'kong',
    workspace: DEFAULT_WORKSPACE_ID,
    workspace_name: 'default',
  };
  values.applyTo(record);
  return record;
}
