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

/** Marks a map frame that waits for its next key. */
const NO_KEY = Symbol('no key');

/** One open container of the explicit decoding stack. */
interface Frame {
  readonly arr: unknown[] | undefined;
  readonly obj: Record<string, unknown> | undefined;
  /** Array elements or map pairs still to come. */
  remaining: number;
  index: number;
  key: string | typeof NO_KEY;
}

/** A value that opened a container instead of completing (see {@link LosslessDecoder.value}). */
const OPENED = Symbol('opened');

/**
 * Decodes one MessagePack value per message; reusable. The walk keeps its own stack instead
 * of recursing, so it can also run in slices ({@link begin} + {@link run}): a message with
 * millions of entries is decoded a budget at a time and other connections are served between
 * the slices.
 */
export class LosslessDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly stack: Frame[] = [];
  private done = false;
  private value_: unknown;

  /**
   * Decode `bytes`, which must hold exactly one value. Integers (also 64-bit)
   * become JS numbers, bin becomes a Buffer view of `bytes` (no copy), maps
   * become plain objects with string keys. Throws on truncated or malformed
   * input or trailing bytes.
   */
  decode(bytes: Uint8Array): unknown {
    this.begin(bytes);
    this.run(Infinity);
    return this.result;
  }

  /** Starts decoding `bytes` (exactly one value); continue with {@link run}. */
  begin(bytes: Uint8Array): void {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.stack.length = 0;
    this.done = false;
    this.value_ = undefined;
  }

  /** The decoded value once {@link run} has returned true. */
  get result(): unknown {
    return this.value_;
  }

  /**
   * Decodes up to `budget` more values (each map key, map value and array element is one).
   * Returns true when the value is complete, with the message released. Throws as
   * {@link decode} does.
   */
  run(budget: number): boolean {
    if (this.done) return true;
    try {
      const stack = this.stack;
      for (let n = 0; n < budget; n++) {
        let v = this.value(stack.length);
        if (v === OPENED) continue;
        // Attach the value to its container; completed containers attach to theirs in turn.
        for (;;) {
          const f = stack[stack.length - 1];
          if (f === undefined) {
            if (this.pos !== this.buf.length)
              throw new Error(`${this.buf.length - this.pos} trailing byte(s) after value`);
            this.value_ = v;
            this.done = true;
            this.buf = Buffer.alloc(0); // do not keep the message alive
            return true;
          }
          if (f.arr !== undefined) {
            f.arr[f.index++] = v;
          } else if (f.key === NO_KEY) {
            f.key = mapKey(v);
            break;
          } else {
            setMember(f.obj!, f.key, v);
            f.key = NO_KEY;
          }
          if (--f.remaining > 0) break;
          stack.pop();
          v = f.arr ?? f.obj;
        }
      }
      return false;
    } catch (e) {
      this.buf = Buffer.alloc(0);
      this.stack.length = 0;
      throw e;
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

  /** Reads one value; a non-empty container is pushed as a frame and yields {@link OPENED}. */
  private value(depth: number): unknown {
    const b = this.buf[this.take(1)]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.open(b & 0x0f, true, depth);
    if (b <= 0x9f) return this.open(b & 0x0f, false, depth);
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
        return this.open(buf.readUInt16BE(this.take(2)), false, depth);
      case 0xdd:
        return this.open(buf.readUInt32BE(this.take(4)), false, depth);
      case 0xde:
        return this.open(buf.readUInt16BE(this.take(2)), true, depth);
      case 0xdf:
        return this.open(buf.readUInt32BE(this.take(4)), true, depth);
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

  private open(count: number, isMap: boolean, depth: number): unknown {
    if (depth >= MAX_DEPTH) throw new RangeError(`MessagePack nesting deeper than ${MAX_DEPTH}`);
    if (isMap) {
      const obj: Record<string, unknown> = {};
      if (count === 0) return obj;
      this.stack.push({ arr: undefined, obj, remaining: count, index: 0, key: NO_KEY });
      return OPENED;
    }
    // Each element takes at least one byte: refuse impossible counts before allocating.
    if (count > this.buf.length - this.pos) throw new RangeError('truncated MessagePack array');
    const arr = new Array<unknown>(count);
    if (count === 0) return arr;
    this.stack.push({ arr, obj: undefined, remaining: count, index: 0, key: NO_KEY });
    return OPENED;
  }
}

/** Plain assignment would invoke the Object.prototype setter for "__proto__" and replace the
 * prototype: a client-controlled header must not do that, so that key becomes an own property. */
function setMember(obj: Record<string, unknown>, key: string, val: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value: val, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = val;
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
