/**
 * How a failed handler or a broken instance ends the request. In the phases where a plugin can
 * end the request, a failure fails closed with HTTP 500 (what Kong's own Lua plugins do on an
 * error), so a buggy auth plugin never becomes an open door; elsewhere the event just ends.
 */
import type { Kong } from '../../generated/index.js';

// Phases where a plugin can end the request (kong.response.exit is allowed there).
const EXIT_PHASES: ReadonlySet<string> = new Set(['rewrite', 'access', 'preread']);

/** True for a phase in which a failure ends the request with HTTP 500. */
export function canFailClosed(phase: string): boolean {
  return EXIT_PHASES.has(phase);
}

/** The body of the 500 (Kong's own text for an unexpected error). */
export const FAIL_CLOSED_BODY = Object.freeze({ message: 'An unexpected error occurred' });

/** Ends the request with HTTP 500 through the PDK. */
export function failClosed(kong: Pick<Kong, 'response'>): Promise<void> {
  return kong.response.exit(500, { ...FAIL_CLOSED_BODY });
}
