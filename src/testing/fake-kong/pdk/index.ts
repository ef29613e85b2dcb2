/** Every PDK function the fake Kong simulates, by Kong's name. */
import { CLIENT } from './client.js';
import { CONTEXT } from './context.js';
import type { Impl } from './impl.js';
import { NODE } from './node.js';
import { REQUEST } from './request.js';
import { RESPONSE } from './response.js';
import { SERVICE, SERVICE_REQUEST, SERVICE_RESPONSE } from './service.js';

/** Kong's behaviour for each simulated PDK function. */
export const IMPLEMENTATIONS: ReadonlyMap<string, Impl> = new Map<string, Impl>([
  ...CLIENT,
  ...NODE,
  ...CONTEXT,
  ...REQUEST,
  ...RESPONSE,
  ...SERVICE,
  ...SERVICE_REQUEST,
  ...SERVICE_RESPONSE,
]);

/** Kong names of the PDK functions the fake Kong implements. */
export const SIMULATED_FUNCTIONS: readonly string[] = [...IMPLEMENTATIONS.keys()].sort();

export { EXITED, type Impl } from './impl.js';
