/**
 * The output the generated response writer (generated/wire-codec.ts) fills: messages are
 * written back to back into a slab and handed out as views of it, so a reply costs neither an
 * allocation nor a copy; a message that outgrows the slab's rest moves to a fresh slab. Small integers and ASCII
 * strings are written here; every other value goes through @msgpack/msgpack after
 * {@link restoreRawBytes}, so the bytes are always those the general encoder produces.
 */
import { Buffer } from 'node:buffer';
import { Encoder } from '@msgpack/msgpack';
import type { WireWriter } from '../../generated/wire-codec.js';
import { MAX_DEPTH, restoreRawBytes } from './raw-bytes.js';

/** Strings up to this many UTF-16 units are checked for ASCII and copied by a JS loop;
 * longer ones go through the general encoder (one native UTF-8 pass beats a JS loop there). */
const INLINE_STR = 64;

/** Bytes per slab. Views handed out keep their slab alive until the socket has written
 * them, which for replies is at once; larger messages get a slab of their own size. */
const SLAB = 64 * 1024;

/** A {@link WireWriter} into a slab of memory. */
export class ResponseWriter implements WireWriter {
  private buf = Buffer.allocUnsafe(SLAB);
  /** Where the message being written starts in `buf`. */
  private start = 0;
  private pos = 0;
  private readonly general = new Encoder({ ignoreUndefined: false, maxDepth: MAX_DEPTH });

  /** Starts a new message (dropping any unfinished one). */
  reset(): void {
    this.pos = this.start;
  }

  /** The bytes written since {@link reset}: a view that is never written again. */
  finish(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return out;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const written = this.pos - this.start;
    const fresh = Buffer.allocUnsafe(Math.max(SLAB, 2 * (written + n)));
    this.buf.copy(fresh, 0, this.start, this.pos);
    this.buf = fresh;
    this.start = 0;
    this.pos = written;
  }

  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i]!;
    this.pos = p;
  }

  arrayHeader(length: number): void {
    this.room(5);
    const b = this.buf;
    if (length < 16) b[this.pos++] = 0x90 | length;
    else if (length < 0x10000) {
      b[this.pos] = 0xdc;
      b.writeUInt16BE(length, this.pos + 1);
      this.pos += 3;
    } else {
      b[this.pos] = 0xdd;
      b.writeUInt32BE(length, this.pos + 1);
      this.pos += 5;
    }
  }

  nil(): void {
    this.room(1);
    this.buf[this.pos++] = 0xc0;
  }

  int(n: number): void {
    // Non-negative integers below 2^32 in @msgpack's forms; anything else through it.
    if (!(n >= 0 && n < 0x100000000 && Number.isInteger(n))) return this.general1(n);
    this.room(5);
    const b = this.buf;
    const p = this.pos;
    if (n < 0x80) {
      b[p] = n;
      this.pos = p + 1;
    } else if (n < 0x100) {
      b[p] = 0xcc;
      b[p + 1] = n;
      this.pos = p + 2;
    } else if (n < 0x10000) {
      b[p] = 0xcd;
      b[p + 1] = n >>> 8;
      b[p + 2] = n & 0xff;
      this.pos = p + 3;
    } else {
      b[p] = 0xce;
      b.writeUInt32BE(n, p + 1);
      this.pos = p + 5;
    }
  }

  str(s: string): void {
    const len = s.length;
    if (len > INLINE_STR) return this.general1(s);
    this.room(2 + len);
    const b = this.buf;
    const start = this.pos;
    // fixstr below 32 bytes, else str8 (@msgpack's forms); ASCII means bytes = units.
    let p = len < 32 ? start + 1 : start + 2;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return this.general1(s); // nothing committed: pos is unchanged
      b[p++] = c;
    }
    if (len < 32) {
      b[start] = 0xa0 | len;
    } else {
      b[start] = 0xd9;
      b[start + 1] = len;
    }
    this.pos = p;
  }

  any(v: unknown): void {
    switch (typeof v) {
      case 'string':
        return this.str(v);
      case 'number':
        return this.int(v);
      case 'boolean':
        this.room(1);
        this.buf[this.pos++] = v ? 0xc3 : 0xc2;
        return;
      case 'undefined':
        return this.nil();
      default:
        if (v === null) return this.nil();
        return this.general1(v);
    }
  }

  /** One value through the general encoder; its bytes are copied in before it runs again. */
  private general1(v: unknown): void {
    const bytes = this.general.encodeSharedRef(restoreRawBytes(v));
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}
