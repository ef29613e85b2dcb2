/**
 * Encoding of outgoing RPC messages.
 *
 * Strings that came from Kong with non-UTF-8 bytes hold surrogate escapes
 * (see lossless-string.ts). Encoding them as UTF-8 would corrupt them, so
 * before encoding such strings are swapped for a Buffer of their original
 * bytes. A Buffer encodes as MessagePack bin, which Kong's Lua unpacker turns
 * into an ordinary Lua string: Kong receives exactly the bytes it sent.
 */

import type { Buffer } from 'node:buffer';
import { Encoder } from '@msgpack/msgpack';
import { writeResponse } from '../../generated/wire-codec.js';
import { MAX_DEPTH, restoreRawBytes } from './raw-bytes.js';
import { ResponseWriter } from './response-writer.js';

export { restoreRawBytes };

/** `ignoreUndefined: false` (also the v3 default, stated so it stays that way)
 * encodes `undefined` as nil, including object members: Lua sees nil either way
 * and PDK results must keep their shape. Reused to avoid buffer reallocation;
 * `encode()` returns a copy, so results stay valid after the next call. */
const encoder = new Encoder({ ignoreUndefined: false, maxDepth: MAX_DEPTH });

const writer = new ResponseWriter();

/** Encode a response `[1, msgid, error|nil, result]` with the codec generated from the IDL:
 * an `EventReply` result is written field by field, anything else as by
 * {@link encodeResponseGeneral}. Both give the same bytes; this one is cheaper. */
export function encodeResponse(msgid: number, error: string | null, result: unknown): Buffer {
  writer.reset();
  writeResponse(writer, msgid, error, result);
  return writer.finish();
}

/** Encode a response `[1, msgid, error|nil, result]` with @msgpack/msgpack alone (the
 * reference the generated codec is tested against, and the benchmark's baseline). */
export function encodeResponseGeneral(msgid: number, error: string | null, result: unknown): Uint8Array {
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
