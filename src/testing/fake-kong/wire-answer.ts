/**
 * What Kong's MessagePack side makes of a PDK function's result: the multimap and raw-body
 * fixes (and the Lua errors they raise on nil), `(nil, err)` per Kong version, Lua values.
 */
import { PdkCallFlags } from '../../../generated/index.js';
import { KongRaise, NilErr } from '../errors.js';
import { isPlainObject, toLuaWire } from '../lua.js';

/** Kong's answer to one PDK call. */
export type Answer =
  | { kind: 'value'; value: unknown; strBytes?: Buffer }
  | { kind: 'nil-err'; message: string }
  | { kind: 'exit' }
  | { kind: 'unknown-method' };

// lua-MessagePack's `binary` packer takes the length of the value fix_raw wrapped: a nil raises
// this (Kong#13211).
const FIX_RAW_NIL = "attempt to get length of local 'str' (a nil value)";

/** Kong's fix_mmap: a string → [s], `true` → [], a list stays; empty → {} (never `[]`). */
function multimapWire(v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isPlainObject(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (x === true) out[k] = [];
    else if (typeof x === 'string') out[k] = [x];
    else if (x !== undefined && x !== null) out[k] = toLuaWire(x) ?? [];
  }
  return out;
}

/**
 * The answer Kong sends for `value`, the first result of `method` (a {@link NilErr} for
 * `(nil, err)`); throws {@link KongRaise} where Kong's RPC layer raises.
 */
export function wireAnswer(method: string, flags: number, value: unknown, isKong2: boolean): Answer {
  const rawBytes = (flags & PdkCallFlags.RAW_BYTES) !== 0;
  const multimap = (flags & PdkCallFlags.MULTIMAP) !== 0;
  if (value instanceof NilErr) {
    if (multimap)
      throw new KongRaise(
        `${method} returned (nil, "${value.message}"): Kong's fix_mmap cannot handle nil (bad argument #1 to 'pairs'), so Kong raises`,
      );
    if (rawBytes && !isKong2)
      throw new KongRaise(
        `${method} returned (nil, "${value.message}"): Kong's fix_raw cannot pack nil as binary (${FIX_RAW_NIL}), so Kong raises`,
      );
    return { kind: 'nil-err', message: value.message };
  }
  if (value === undefined || value === null) {
    if (multimap) throw new KongRaise(`${method} returned nil: Kong's fix_mmap cannot handle nil, so Kong raises`);
    if (rawBytes && !isKong2)
      throw new KongRaise(
        `${method} returned nil: Kong's fix_raw cannot pack nil as binary (${FIX_RAW_NIL}), so Kong raises`,
      );
    return { kind: 'value', value: undefined };
  }
  if (rawBytes) {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : String(value));
    // Kong 3.x packs raw bodies as bin (fix_raw); 2.x sends them as plain Lua strings (str).
    return isKong2 ? { kind: 'value', value: bytes, strBytes: bytes } : { kind: 'value', value: bytes };
  }
  if (multimap) return { kind: 'value', value: multimapWire(value) };
  return { kind: 'value', value: toLuaWire(value) };
}
