/**
 * Encoding of outgoing RPC messages.
 *
 * Strings that came from Kong with non-UTF-8 bytes hold surrogate escapes
 * (see lossless-string.ts). Encoding them as UTF-8 would corrupt them, so
 * before encoding such strings are swapped for a Buffer of their original
 * bytes. A Buffer encodes as MessagePack bin, which Kong's Lua unpacker turns
 * into an ordinary Lua string: Kong receives exactly the bytes it sent.
 */

import { Encoder } from '@msgpack/msgpack';
import { encodeLossless, hasEscapes } from './lossless-string.js';

/** @msgpack/msgpack's default nesting limit; deeper values make it throw, so
 * the escape walk need not go further (this also stops it on cycles). */
const MAX_DEPTH = 100;

/** `ignoreUndefined: false` (also the v3 default, stated so it stays that way)
 * encodes `undefined` as nil, including object members: Lua sees nil either way
 * and PDK results must keep their shape. Reused to avoid buffer reallocation;
 * `encode()` returns a copy, so results stay valid after the next call. */
const encoder = new Encoder({ ignoreUndefined: false, maxDepth: MAX_DEPTH });

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

/** Encode a response `[1, msgid, error|nil, result]`. */
export function encodeResponse(msgid: number, error: string | null, result: unknown): Uint8Array {
  return encoder.encode([1, msgid, error === null ? null : restoreRawBytes(error), restoreRawBytes(result)]);
}

/** Encode a notification `[2, label, arg]`. */
export function encodeNotification(label: string, arg: unknown): Uint8Array {
  return encoder.encode([2, label, restoreRawBytes(arg)]);
}

/** Encode a request `[0, msgid, method, params]` (Kong's side of the protocol;
 * used by tests and the benchmark client). */
export function encodeRequest(msgid: number, method: string, params: unknown[]): Uint8Array {
  return encoder.encode([0, msgid, method, restoreRawBytes(params)]);
}
