/**
 * What values become on Kong's side. Kong holds every value a plugin sends as a Lua value and
 * packs it back with lua-MessagePack (docs/protocol.md §1.5), which loses distinctions JavaScript
 * makes: an empty table is an empty *array*, nil members vanish, an array with holes turns
 * into a map, a byte string is a `str`. The simulator answers through {@link toLuaWire} so a
 * plugin sees what real Kong would send it.
 */
import { isUtf8 } from 'node:buffer';

/** True for `{…}` objects (not arrays, Buffers, class instances other than Object). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A value as Kong would send it back after holding it in Lua:
 * nil (`null`/`undefined`) → absent; an empty array or object → `[]`; an array with nil
 * elements → a map keyed by the 1-based positions of the others; map members that are nil
 * are dropped; bytes → a string when they are UTF-8 (Lua strings go out as msgpack `str`).
 *
 * Known limit: bytes that are not UTF-8 stay a Buffer (msgpack `bin`), where Kong would send
 * a `str` holding the same bytes; the plugin server decodes both to the same bytes.
 */
export function toLuaWire(v: unknown, depth = 0): unknown {
  if (v === null || v === undefined) return undefined;
  if (depth > 64) return v;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return isUtf8(b) ? b.toString('utf8') : b;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    if (v.some((x) => x === null || x === undefined)) {
      const o: Record<string, unknown> = {};
      v.forEach((x, i) => {
        if (x !== null && x !== undefined) o[String(i + 1)] = toLuaWire(x, depth + 1);
      });
      return Object.keys(o).length === 0 ? [] : o;
    }
    return v.map((x) => toLuaWire(x, depth + 1));
  }
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === null || x === undefined) continue;
      Object.defineProperty(o, k, {
        value: toLuaWire(x, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return Object.keys(o).length === 0 ? [] : o;
  }
  return v;
}

const tableIds = new WeakMap<object, number>();
let nextTableId = 0x1000;

/** Lua's `tostring`: what `kong.log.*` prints for each argument (they are concatenated with no separator). */
export function luaToString(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return v > 0 ? 'nan' : '-nan';
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(14)));
  }
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object') {
    let id = tableIds.get(v);
    if (id === undefined) {
      id = nextTableId += 0x40;
      tableIds.set(v, id);
    }
    return `table: 0x${id.toString(16).padStart(8, '0')}`;
  }
  return String(v);
}

/**
 * JSON text as Kong's cjson writes it: like `JSON.stringify`, but `/` is escaped as `\/`.
 * Buffers are written as their UTF-8 text (they are Lua strings).
 */
export function cjsonEncode(v: unknown): string {
  const text = JSON.stringify(v, (_k, x: unknown) => {
    if (
      x &&
      typeof x === 'object' &&
      (x as { type?: unknown }).type === 'Buffer' &&
      Array.isArray((x as { data?: unknown }).data)
    ) {
      return Buffer.from((x as { data: number[] }).data).toString('utf8');
    }
    return x;
  });
  return (text ?? 'null').replace(/\//g, '\\/');
}

/** A deep copy of JSON-like data (Buffers copied too). */
export function deepCopy<T>(v: T): T {
  if (Buffer.isBuffer(v)) return Buffer.from(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => deepCopy(x)) as T;
  if (v && typeof v === 'object' && isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(o, k, { value: deepCopy(x), enumerable: true, writable: true, configurable: true });
    return o as T;
  }
  return v;
}
