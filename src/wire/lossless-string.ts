/**
 * Reversible bytes <-> string mapping in the style of Python's
 * "surrogateescape" error handler.
 *
 * Why: Kong sends HTTP header values (and, on Kong 2.x, raw bodies) as
 * MessagePack `str`, but nothing guarantees those bytes are UTF-8. A normal
 * UTF-8 decode would replace bad bytes with U+FFFD and a plugin that copies a
 * header value back to Kong would silently corrupt it. Mapping every byte that
 * is not part of a well-formed UTF-8 sequence to the lone surrogate
 * U+DC80+byte keeps the string usable as text while letting the encoder write
 * the original bytes back. Well-formed UTF-8 can never produce a lone
 * surrogate, so the mapping is unambiguous.
 */

import { Buffer, isUtf8 } from 'node:buffer';

/** Matches an escape: a lone low surrogate U+DC80..U+DCFF. The `u` flag makes a
 * valid surrogate pair one code point, so the low half of a pair never matches. */
const ESCAPE = /[\uDC80-\uDCFF]/u;

/** Strings at most this long are checked for ASCII with a JS loop: cheaper
 * than allocating a view for the native validator. */
const SMALL = 24;

/** View any Uint8Array as a Buffer without copying, so we can use Buffer's
 * native UTF-8 slicing. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decode `bytes[start, end)`: well-formed UTF-8 decodes normally, every other
 * byte b becomes U+DC00+b (b is always >= 0x80 here). Exact inverse of
 * {@link encodeLossless}.
 */
export function decodeLossless(bytes: Uint8Array, start: number, end: number): string {
  const buf = asBuffer(bytes);
  if (end - start <= SMALL) {
    let i = start;
    while (i < end && buf[i]! < 0x80) i++;
    if (i === end) return buf.toString('latin1', start, end); // pure ASCII
  }
  if (isUtf8(buf.subarray(start, end))) return buf.toString('utf8', start, end);
  return decodeWithEscapes(buf, start, end);
}

/** Length of the well-formed UTF-8 sequence starting at `i` (Unicode Table
 * 3-7), or 0 if the byte at `i` cannot start one. Rejects overlongs, encoded
 * surrogates and code points above U+10FFFF, exactly as `isUtf8` does. */
function sequenceLength(b: Uint8Array, i: number, end: number): number {
  const b0 = b[i]!;
  if (b0 < 0xc2 || b0 > 0xf4) return 0;
  const avail = end - i;
  if (b0 < 0xe0) return avail >= 2 && isCont(b[i + 1]!) ? 2 : 0;
  if (avail < 3) return 0;
  const b1 = b[i + 1]!;
  if (b0 < 0xf0) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return b1 >= lo && b1 <= hi && isCont(b[i + 2]!) ? 3 : 0;
  }
  if (avail < 4) return 0;
  const lo = b0 === 0xf0 ? 0x90 : 0x80;
  const hi = b0 === 0xf4 ? 0x8f : 0xbf;
  return b1 >= lo && b1 <= hi && isCont(b[i + 2]!) && isCont(b[i + 3]!) ? 4 : 0;
}

function isCont(x: number): boolean {
  return (x & 0xc0) === 0x80;
}

/** Slow path: one JS pass into a UTF-16 buffer, turned into a string at the end, so a
 * multi-megabyte binary body costs linear time (no per-byte string concat). */
function decodeWithEscapes(buf: Buffer, start: number, end: number): string {
  // Each input byte yields at most one UTF-16 unit (a 4-byte sequence yields 2).
  const out = new Uint16Array(end - start);
  let n = 0;
  let i = start;
  while (i < end) {
    const b0 = buf[i]!;
    if (b0 < 0x80) {
      out[n++] = b0;
      i++;
      continue;
    }
    const len = sequenceLength(buf, i, end);
    if (len === 0) {
      out[n++] = 0xdc00 + b0;
      i++;
    } else if (len === 2) {
      out[n++] = ((b0 & 0x1f) << 6) | (buf[i + 1]! & 0x3f);
      i += 2;
    } else if (len === 3) {
      out[n++] = ((b0 & 0x0f) << 12) | ((buf[i + 1]! & 0x3f) << 6) | (buf[i + 2]! & 0x3f);
      i += 3;
    } else {
      const cp =
        (((b0 & 0x07) << 18) | ((buf[i + 1]! & 0x3f) << 12) | ((buf[i + 2]! & 0x3f) << 6) | (buf[i + 3]! & 0x3f)) -
        0x10000;
      out[n++] = 0xd800 + (cp >> 10);
      out[n++] = 0xdc00 + (cp & 0x3ff);
      i += 4;
    }
  }
  return unitsToString(out, n);
}

/** Build a string from UTF-16 units in bounded slices (keeps argument lists
 * small and is independent of platform endianness). */
function unitsToString(units: Uint16Array, n: number): string {
  const SLICE = 8192;
  if (n <= SLICE) return String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]);
  const pieces: string[] = [];
  for (let k = 0; k < n; k += SLICE) {
    pieces.push(String.fromCharCode.apply(null, units.subarray(k, Math.min(n, k + SLICE)) as unknown as number[]));
  }
  return pieces.join('');
}

/**
 * Encode a string to bytes: escapes (lone U+DC80..U+DCFF) become the single
 * raw byte they stand for, everything else is standard UTF-8 (other lone
 * surrogates become U+FFFD, as with any UTF-8 encoder).
 */
export function encodeLossless(s: string): Buffer {
  if (!ESCAPE.test(s)) return Buffer.from(s, 'utf8');
  // One pass over the UTF-16 units (a run-by-run split costs two Buffers per escape run,
  // which made a 5 MiB binary body take over a second). Each unit yields at most 3 bytes.
  const out = Buffer.allocUnsafe(s.length * 3);
  const len = s.length;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 0x3f);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
      out[n++] = 0x80 | (cp & 0x3f);
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out[n++] = c - 0xdc00; // an escape: the raw byte it stands for
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out[n++] = 0xef; // any other lone surrogate: U+FFFD, as Buffer.from(s, 'utf8') does
      out[n++] = 0xbf;
      out[n++] = 0xbd;
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return Buffer.from(out.subarray(0, n)); // exact-size copy: do not pin 3x the memory
}

/** True if `s` holds at least one escaped byte, i.e. encoding it as plain
 * UTF-8 would not reproduce the bytes it was decoded from. One regex scan. */
export function hasEscapes(s: string): boolean {
  return ESCAPE.test(s);
}
