/** The shape of one simulated PDK function. */
import type { PdkState } from '../state.js';

/**
 * Kong's behaviour for one PDK function: the result (a {@link NilErr} for `(nil, err)`,
 * {@link EXITED} when the call ends the request), or a thrown KongRaise/NotSimulated.
 */
export type Impl = (k: PdkState, args: unknown[], method: string) => unknown;

/** A simulated function by Kong's name. */
export type ImplEntry = readonly [name: string, impl: Impl];

/** Marks the answer to an exit/error call. */
export const EXITED: unique symbol = Symbol('exited');

/** True when `ip` is in Kong's `trusted_ips` (exact addresses and the catch-all ranges). */
export function isTrusted(list: readonly string[], ip: string): boolean {
  return list.some((t) => t === ip || t === '0.0.0.0/0' || t === '::/0');
}
