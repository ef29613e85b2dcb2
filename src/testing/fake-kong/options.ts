/** The behaviour switches of the fake Kong. */
import type { PdkOverrides } from '../types.js';
import type { SimulationSettings } from './state.js';

/**
 * nginx's `client_body_buffer_size` as Kong sets it by default (`nginx_http_client_body_buffer_size
 * = 8k`): a larger request body is kept in a temporary file.
 */
export const DEFAULT_CLIENT_BODY_BUFFER_SIZE = 8192;

/** Behaviour switches of the fake Kong (see KitOptions). */
export interface FakeKongOptions extends SimulationSettings {
  checkPhases: boolean;
  logPhaseTimer: boolean;
  overrides: PdkOverrides;
  /** Bytes of request body nginx keeps in memory; a larger body goes to a file. Default 8192. */
  clientBodyBufferSize?: number;
}
