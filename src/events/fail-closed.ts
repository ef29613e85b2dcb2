/**
 * How a failed handler or a broken instance ends the request. In the phases where a plugin can
 * end the request (the IDL's EXIT_PHASES), a failure fails closed with the IDL's
 * FAIL_CLOSED_RESPONSE (HTTP 500, what Kong's own Lua plugins answer on an error), so a buggy auth
 * plugin never becomes an open door; elsewhere the event just ends.
 */
import { EXIT_PHASES, FAIL_CLOSED_RESPONSE, type Kong, type Phase } from '../../generated/index.js';

/** True for a phase in which a failure ends the request with HTTP 500. */
export function canFailClosed(phase: string): boolean {
  return EXIT_PHASES.has(phase as Phase);
}

/** Ends the request with the fail-closed response through the PDK. */
export function failClosed(kong: Pick<Kong, 'response'>): Promise<void> {
  return kong.response.exit(FAIL_CLOSED_RESPONSE.status, { ...FAIL_CLOSED_RESPONSE.body });
}
