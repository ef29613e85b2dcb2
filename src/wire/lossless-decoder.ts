/**
 * A small, complete MessagePack decoder for the messages the fast path
 * (@msgpack/msgpack) cannot take as-is:
 * - str payloads that are not UTF-8 (decoded with surrogate escapes so they
 *   can be written back byte for byte),
 * - map keys @msgpack refuses: "__proto__" (kept as an ordinary own property,
 *   never a prototype change) and nil/bool/bin/container keys,
 * - ext values (Kong never sends them; they decode to `undefined`).
 *
 * It produces the same values as the fast path for everything else, so the
 * choice of path is invisible to plugins.
 */

import { Buffer } from 'node:buffer';
import { decodeLossless } from './lossless-string.js';

/** Nesting limit when used on its own; the frame scanner enforces the same
 * default earlier, so stream input never reaches it. */
const MAX_DEPTH = 512;

const POW32 = 0x100000000;

/** Decodes exactly one MessagePack value per call; reusable. */
export class LosslessDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  /**
   * Decode `bytes`, which must hold exactly one value. Integers (also 64-bit)
   * become JS numbers, bin becomes a Buffer view of `bytes` (no copy), maps
   * become plain objects with string keys. Throws on truncated or malformed
   * input or trailing bytes.
   */
  decode(bytes: Uint8Array): unknown {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    try {
      const v = this.value(0);
      if (this.pos !== this.buf.length) throw new Error(`${this.buf.length - this.pos} trailing byte(s) after value`);
      return v;
    } finally {
      this.buf = Buffer.alloc(0); // do not keep the message alive
    }
  }

  /** Advance past `n` bytes, returning their start; bounds-checked because
   * Buffer.subarray/toString would silently clamp. */
  private take(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) throw new RangeError('truncated MessagePack value');
    this.pos = p + n;
    return p;
  }

  private value(depth: number): unknown {
    const b = this.buf[this.take(1)]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f, depth);
    if (b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b <= 0xbf) return this.str(b & 0x1f);
    const buf = this.buf;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(buf[this.take(1)]!);
      case 0xc5:
        return this.bin(buf.readUInt16BE(this.take(2)));
      case 0xc6:
        return this.bin(buf.readUInt32BE(this.take(4)));
      case 0xc7:
        return this.ext(buf[this.take(1)]!);
      case 0xc8:
        return this.ext(buf.readUInt16BE(this.take(2)));
      case 0xc9:
        return this.ext(buf.readUInt32BE(this.take(4)));
      case 0xca:
        return buf.readFloatBE(this.take(4));
      case 0xcb:
        return buf.readDoubleBE(this.take(8));
      case 0xcc:
        return buf[this.take(1)]!;
      case 0xcd:
        return buf.readUInt16BE(this.take(2));
      case 0xce:
        return buf.readUInt32BE(this.take(4));
      case 0xcf: {
        const p = this.take(8);
        return buf.readUInt32BE(p) * POW32 + buf.readUInt32BE(p + 4);
      }
      case 0xd0:
        return buf.readInt8(this.take(1));
      case 0xd1:
        return buf.readInt16BE(this.take(2));
      case 0xd2:
        return buf.readInt32BE(this.take(4));
      case 0xd3: {
        const p = this.take(8);
        return buf.readInt32BE(p) * POW32 + buf.readUInt32BE(p + 4);
      }
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.str(buf[this.take(1)]!);
      case 0xda:
        return this.str(buf.readUInt16BE(this.take(2)));
      case 0xdb:
        return this.str(buf.readUInt32BE(this.take(4)));
      case 0xdc:
        return this.array(buf.readUInt16BE(this.take(2)), depth);
      case 0xdd:
        return this.array(buf.readUInt32BE(this.take(4)), depth);
      case 0xde:
        return this.map(buf.readUInt16BE(this.take(2)), depth);
      case 0xdf:
        return this.map(buf.readUInt32BE(this.take(4)), depth);
      default: // 0xc1
        throw new Error('reserved byte 0xc1 in MessagePack value');
    }
  }

  private str(len: number): string {
    const p = this.take(len);
    return decodeLossless(this.buf, p, p + len);
  }

  private bin(len: number): Buffer {
    const p = this.take(len);
    return this.buf.subarray(p, p + len);
  }

  /** Ext type byte + data are skipped: nothing in the Kong protocol uses ext. */
  private ext(len: number): undefined {
    this.take(1 + len);
    return undefined;
  }

  private array(count: number, depth: number): unknown[] {
    if (depth >= MAX_DEPTH) throw new RangeError(`MessagePack nesting deeper than ${MAX_DEPTH}`);
    // Each element takes at least one byte: refuse impossible counts before allocating.
    if (count > this.buf.length - this.pos) throw new RangeError('truncated MessagePack array');
    const out = new Array<unknown>(count);
    for (let k = 0; k < count; k++) out[k] = this.value(depth + 1);
    return out;
  }

  private map(count: number, depth: number): Record<string, unknown> {
    if (depth >= MAX_DEPTH) throw new RangeError(`MessagePack nesting deeper than ${MAX_DEPTH}`);
    const out: Record<string, unknown> = {};
    for (let k = 0; k < count; k++) {
      const key = mapKey(this.value(depth + 1));
      const val = this.value(depth + 1);
      if (key === '__proto__') {
        // Plain assignment would invoke the Object.prototype setter and
        // replace the prototype: a client-controlled header must not do that.
        Object.defineProperty(out, key, { value: val, writable: true, enumerable: true, configurable: true });
      } else {
        out[key] = val;
      }
    }
    return out;
  }
}

/** Object keys must be strings: numbers use their JS string form (as the fast
 * path does), nil/bool/undefined(ext) use String(), bin keys are decoded like
 * str. Array/map keys get a fixed tag: calling their toString could run into a
 * decoded "toString" member and throw. */
function mapKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (Buffer.isBuffer(k)) return decodeLossless(k, 0, k.length);
  if (typeof k === 'object' && k !== null) return Object.prototype.toString.call(k);
  return String(k);
}

const shared = new LosslessDecoder();

/** Decode one complete MessagePack value with {@link LosslessDecoder}. */
export function decodeValueLossless(bytes: Uint8Array): unknown {
  return shared.decode(bytes);
}
