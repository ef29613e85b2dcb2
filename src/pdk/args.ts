/**
 * Arguments of a PDK call as they must cross to Kong. Kong spreads `Args` with Lua's `unpack`,
 * which stops at the first nil: `[401, nil, headers]` arrives as `exit(401)`. Trailing nils are
 * harmless and dropped; a nil before a set argument is refused with a clear error instead of
 * being silently truncated by Kong.
 */

/** Drops trailing `undefined`s; throws a TypeError for an `undefined`/`null` before a set argument. */
export function normalizeArgs(method: string, args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] == null) end--;
  for (let i = 0; i < end; i++) {
    if (args[i] == null) {
      throw new TypeError(
        `${method}: argument ${i + 1} is ${args[i] === null ? 'null' : 'undefined'} but argument ${end} is set; ` +
          'Kong would drop every argument after the first nil',
      );
    }
  }
  return end === args.length ? args : args.slice(0, end);
}
