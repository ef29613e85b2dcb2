/** The errors the test kit fails a run with. */

/**
 * Why a run failed:
 * - `not-simulated`: the plugin called a PDK function the fake Kong does not implement;
 * - `kong-raised`: real Kong would raise a Lua error on this call (bad argument, wrong phase,
 *   a request-bound call in the log timer, a nil raw body/multimap Kong cannot pack); Kong
 *   never answers the event again, and in rewrite/access the client gets HTTP 500;
 * - `plugin-error`: the plugin's handler threw, or its constructor failed (the server logs it
 *   and answers Kong as if the phase had succeeded);
 * - `timeout`: the plugin neither made its next PDK call nor finished in time;
 * - `rpc-error`: the server answered an RPC with an error;
 * - `config`: the configuration is one Kong's admin API would refuse;
 * - `usage`: the kit was used wrongly (unknown phase, phases out of order, …).
 */
export type KitErrorKind =
  'not-simulated' | 'kong-raised' | 'plugin-error' | 'timeout' | 'rpc-error' | 'config' | 'usage';

/** A failed run or a misuse of the kit. `result` holds what had happened so far, when there is one. */
export class KitError extends Error {
  /** What the result looked like when the run failed (calls, logs, …), for diagnosis. */
  result: unknown;
  /** For `rpc-error`: the server's error text. */
  rpcError: string | undefined;

  constructor(
    /** Why the run failed. */
    readonly kind: KitErrorKind,
    message: string,
  ) {
    super(message);
  }

  override get name(): string {
    return 'KitError';
  }
}

/** Thrown by a PDK simulation (or an override) to make the fake Kong raise a Lua error. */
export class KongRaise extends Error {
  override get name(): string {
    return 'KongRaise';
  }
}

/** Thrown by the simulator for a PDK function it does not implement. */
export class NotSimulated extends Error {
  constructor(
    readonly method: string,
    detail?: string,
  ) {
    super(
      `not simulated: ${method}${detail ? ` (${detail})` : ''}; the kit's fake Kong does not implement it — ` +
        `pass an override for it (options.overrides['${method}'] = (args, kong) => value) to script Kong's answer`,
    );
  }

  override get name(): string {
    return 'NotSimulated';
  }
}

/**
 * Returned by a PDK simulation (or an override) for Kong's `(nil, err)` convention: Kong 3.x
 * answers nil and drops the error, Kong 2.x answers `plugin.StepError` with the text.
 */
export class NilErr {
  constructor(readonly message: string) {}
}

/** `return pdkError('not found')` from an override: the call fails the way Kong's `(nil, err)` functions do. */
export function pdkError(message: string): NilErr {
  return new NilErr(message);
}

/** `throw kongRaises('bad argument')` from an override: Kong raises a Lua error on the call. */
export function kongRaises(message: string): KongRaise {
  return new KongRaise(message);
}
