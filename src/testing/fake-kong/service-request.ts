/** The request Kong sends to the service: the client's, routed, then changed by the plugin. */
import type { MultiMap, Route, Service } from '../../../generated/index.js';
import { argsToMultiMap, firstHeader, parseArgs } from '../http.js';
import type { ServiceRequestSnapshot } from '../records.js';
import type { ClientRequest, ServiceRequestState } from './state.js';
import { copyHeaders } from './headers.js';

/** The upstream path: the route's `strip_path` prefix removed, the service's `path` in front. */
function upstreamPath(rawPath: string, route: Route | undefined, service: Service | undefined): string {
  let path = rawPath;
  if (route?.strip_path && route.paths?.length) {
    const prefix = route.paths
      .filter((p) => !p.startsWith('~') && path.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix !== undefined) path = path.slice(prefix.length);
  }
  if (service?.path) {
    const base = service.path;
    if (path === '' || path === '/') path = base;
    else
      path =
        base.endsWith('/') && path.startsWith('/')
          ? base + path.slice(1)
          : !base.endsWith('/') && !path.startsWith('/')
            ? `${base}/${path}`
            : base + path;
  }
  return path.startsWith('/') ? path : `/${path}`;
}

/** The request to the service before the plugin changes it. */
export function initialServiceRequest(
  req: ClientRequest,
  route: Route | undefined,
  service: Service | undefined,
): ServiceRequestState {
  const headers: MultiMap = copyHeaders(req.headers);
  const host = service?.host ?? req.host;
  const port = service?.port ?? req.port;
  if (!route?.preserve_host) headers.host = [port === 80 || port === 443 ? host : `${host}:${port}`];
  return {
    method: req.method,
    scheme: service?.protocol === 'https' ? 'https' : 'http',
    host,
    port,
    path: upstreamPath(req.rawPath, route, service),
    query: req.rawQuery,
    headers,
    body: req.body,
    bufferingEnabled: false,
  };
}

/** A copy of the request to the service, with the query parsed. */
export function serviceRequestSnapshot(sr: ServiceRequestState): ServiceRequestSnapshot {
  const headers = copyHeaders(sr.headers);
  return {
    ...sr,
    headers,
    queryArgs: argsToMultiMap(parseArgs(sr.query, 0)),
    header: (name) => firstHeader(headers, name),
  };
}
