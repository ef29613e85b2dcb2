/** Turns Kong's Step `Data` into what the typed client promises, per function flags. */
import { PdkCallFlags } from '../../generated/index.js';
import type { RawBodyMode } from '../plugins/module-types.js';
import { encodeLossless } from '../wire/index.js';

/**
 * nil → undefined; raw bytes → Buffer with the exact bytes (in `'kong-js-pdk'` mode a str body
 * stays the string kong-js-pdk would give); an empty multimap `[]` → `{}`.
 */
export function fixResult(data: unknown, flags: number, rawBodies: RawBodyMode): unknown {
  if (data === null || data === undefined) return undefined;
  if (flags === 0) return data;
  if (flags & PdkCallFlags.RAW_BYTES) {
    // Kong 2.x sends raw bodies as str. kong-js-pdk plugins expect a string there; the lossless
    // decoding keeps non-UTF-8 bytes as escapes, so the string goes back to Kong as the same
    // bytes. Typed plugins get those bytes as a Buffer.
    if (typeof data === 'string') return rawBodies === 'kong-js-pdk' ? data : encodeLossless(data);
    if (data instanceof Uint8Array && !Buffer.isBuffer(data))
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return data;
  }
  if (flags & PdkCallFlags.MULTIMAP && Array.isArray(data) && data.length === 0) return {};
  return data;
}
