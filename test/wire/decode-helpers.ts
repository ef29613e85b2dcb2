/** Shared helpers for the wire tests: push chunks, collect results. */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { MessageDecoder, type DecodeResult } from '../../src/wire/index.js';

/** Push every chunk into one decoder and return all results in order. */
export function pushAll(chunks: Uint8Array[], decoder = new MessageDecoder()): DecodeResult[] {
  const out: DecodeResult[] = [];
  for (const c of chunks) out.push(...decoder.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  return out;
}

/** Values of the results, asserting all of them are messages. */
export function messages(results: DecodeResult[]): unknown[] {
  return results.map((r) => {
    if (r.kind !== 'message') assert.fail(`unexpected result ${JSON.stringify(r)}`);
    return r.value;
  });
}

/** `bytes` cut into pieces of `size` bytes (views, no copies). */
export function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** `bytes` cut at the given ascending offsets. */
export function cutAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let last = 0;
  for (const o of offsets) {
    out.push(bytes.subarray(last, o));
    last = o;
  }
  out.push(bytes.subarray(last));
  return out;
}
