/**
 * Strings that came from Kong with non-UTF-8 bytes hold surrogate escapes (see
 * lossless-string.ts). Before a value is encoded, such strings are swapped for a Buffer of
 * their original bytes: a Buffer encodes as MessagePack bin, which Kong's Lua unpacker turns
 * into an ordinary Lua string, so Kong receives exactly the bytes it sent.
 */

import { encodeLossless, hasEscapes } from './lossless-string.js';

/** @msgpack/msgpack's default nesting limit; deeper values make it throw, so
 * the escape walk need not go further (this also stops it on cycles). */
export const MAX_DEPTH = 100;

/**
 * Replace every string holding escapes with a Buffer of its raw bytes.
 *
 * Cost: visits each array element and own enumerable object member (the same
 * members @msgpack encodes) once, running one regex over each string, so it is
 * linear in the value and in the total string length, i.e. about what encoding
 * itself costs. Buffers and typed arrays are not entered. Nothing is allocated
 * unless an escape is found; then only the containers on the path to it are
 * shallow-copied (the caller's value is never mutated).
 * Known limit: escapes in object *keys* cannot be restored (keys must be JS
 * strings); they are encoded as UTF-8.
 */
export function restoreRawBytes(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return hasEscapes(value) ? encodeLossless(value) : value;
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let k = 0; k < value.length; k++) {
      const v: unknown = value[k];
      const r = restoreRawBytes(v, depth + 1);
      if (r !== v) {
        copy ??= value.slice();
        copy[k] = r;
      }
    }
    return copy ?? value;
  }
  if (value instanceof ArrayBuffer) return value;
  const obj = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (const key of keys) {
    const v = obj[key];
    const r = restoreRawBytes(v, depth + 1);
    if (r !== v) {
      copy ??= shallowCopy(obj, keys);
      setOwn(copy, key, r);
    }
  }
  return copy ?? value;
}

/** Plain-object copy of the members @msgpack would encode. */
function shallowCopy(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of keys) setOwn(copy, key, obj[key]);
  return copy;
}

/** Assignment that also works for a "__proto__" key (no prototype change). */
function setOwn(obj: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = v;
  }
}
