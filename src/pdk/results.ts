/** Turns Kong's Step `Data` into what the typed client promises, per function flags. */
import { PdkCallFlags } from '../../generated/index.js';
import { encodeLossless } from '../wire/index.js';

/** nil → undefined; raw bytes → Buffer with the exact bytes; an empty multimap `[]` → `{}`. */
export function fixResult(data: unknown, flags: number): unknown {
  if (data === null || data === undefined) return undefined;
  if (flags === 0) return data;
  if (flags & PdkCallFlags.RAW_BYTES) {
    // Kong 2.x sends raw bodies as str: the lossless decoding gives back the same bytes.
    if (typeof data === 'string') return encodeLossless(data);
    if (data instanceof Uint8Array && !Buffer.isBuffer(data))
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return data;
  }
  if (flags & PdkCallFlags.MULTIMAP && Array.isArray(data) && data.length === 0) return {};
  return data;
}
