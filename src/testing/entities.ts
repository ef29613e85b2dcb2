/**
 * Entities for the fake Kong, as Kong's DAO returns them (generated/entities.ts, spec
 * idl/entities.yaml): a partial is completed with the fields Kong always fills.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Credential, Route, Service } from '../../generated/index.js';

/** The id of the route every request matches unless the test gives another one. */
export const DEFAULT_ROUTE_ID = '6f1a3c52-2d4e-4b8f-9a7c-0d5e8b1f2a01';
/** The id of the service every request is proxied to unless the test gives another one. */
export const DEFAULT_SERVICE_ID = '9b2e4d63-3e5f-4c90-8b8d-1e6f9c2a3b02';
/** The workspace id of serialized logs and configs (Kong's `default` workspace). */
export const DEFAULT_WORKSPACE_ID = '0dc6f45b-8f8d-40d2-a504-473544ee190b';

const CREATED_AT = 1_700_000_000;

/** A complete Route: `makeRoute({ name: 'orders', paths: ['/orders'] })`. */
export function makeRoute(partial: Partial<Route> = {}): Route {
  return {
    id: DEFAULT_ROUTE_ID,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    name: 'test-route',
    protocols: ['http', 'https'],
    https_redirect_status_code: 426,
    regex_priority: 0,
    strip_path: true,
    preserve_host: false,
    request_buffering: true,
    response_buffering: true,
    path_handling: 'v0',
    service: { id: partial.service?.id ?? DEFAULT_SERVICE_ID },
    ws_id: DEFAULT_WORKSPACE_ID,
    ...partial,
  };
}

/** A complete Service: `makeService({ host: 'orders.internal', path: '/api' })`. */
export function makeService(partial: Partial<Service> = {}): Service {
  return {
    id: DEFAULT_SERVICE_ID,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    name: 'test-service',
    retries: 5,
    protocol: 'http',
    host: 'upstream.test',
    port: 80,
    connect_timeout: 60000,
    write_timeout: 60000,
    read_timeout: 60000,
    enabled: true,
    ws_id: DEFAULT_WORKSPACE_ID,
    ...partial,
  };
}

/** A complete Consumer: `makeConsumer({ username: 'alice' })` (a fresh id unless given). */
export function makeConsumer(partial: Partial<Consumer> = {}): Consumer {
  return { id: randomUUID(), created_at: CREATED_AT, ws_id: DEFAULT_WORKSPACE_ID, ...partial };
}

/** A credential as an auth plugin would pass it to `kong.client.authenticate` (a fresh id unless given). */
export function makeCredential(partial: Partial<Credential> = {}): Credential {
  return { id: randomUUID(), ...partial };
}
