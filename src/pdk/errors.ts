/** Errors a plugin sees from PDK calls. */

/** A PDK call Kong answered with `plugin.StepError` (Kong 2.x, for a `(nil, err)` return). */
export class PdkError extends Error {
  constructor(
    /** The PDK function, e.g. `kong.service.set_upstream`. */
    readonly method: string,
    /** Kong's error text. */
    readonly kongMessage: string,
  ) {
    super(`PDK method ${method} failed: ${kongMessage}`);
  }

  // kong-js-pdk names its error PDKError; plugins may test the name.
  override get name(): string {
    return 'PDKError';
  }
}

/** The event ended before Kong answered this call (exit/error, or abandoned by Kong). */
export class EventEndedError extends Error {
  override get name(): string {
    return 'EventEndedError';
  }
}
