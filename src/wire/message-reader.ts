/**
 * The cursor the generated request reader (generated/wire-codec.ts) walks over one framed
 * message. Envelope headers, integers and strs are read here directly; any other value is
 * handed, as its exact byte range, to the decoder that owns the message, so every value comes
 * out exactly as the general path would decode it.
 */
import type { Buffer } from 'node:buffer';
import type { WireReader } from '../../generated/wire-codec.js';
import { decodeLossless } from './lossless-string.js';

/** Decodes the single value in `msg[start, end)` exactly as the general path would. */
export type RangeDecoder = (msg: Buffer, start: number, end: number) => unknown;

const POW32 = 0x100000000;
/** Bytes of uint8/16/32/64 (0xcc..0xcf) by the type byte's low two bits, header included. */
const UINT_LEN = [2, 3, 5, 9];

/**
 * A {@link WireReader} over one whole message, or (bounded mode) over the start of a chunk
 * whose message end is not known yet: then only scalars are read, every read stays inside the
 * chunk, and anything else sets {@link aborted} so the caller frames the bytes the general way.
 * Reusable with {@link MessageReader.reset}.
 */
export class MessageReader implements WireReader {
  private buf: Buffer | undefined;
  private pos = 0;
  private end = 0;
  private bounded = false;
  /** Bounded mode met a value it does not read (a container, bin, ext, float) or the chunk
   * ended inside the message: discard what was read. */
  aborted = false;

  constructor(private readonly decodeRange: RangeDecoder) {}

  /** Points the cursor at `msg[start]`; `bounded`: the message ends somewhere in
   * `msg[start, end)` (not necessarily at `end`). */
  reset(msg: Buffer, start = 0, end = msg.length, bounded = false): void {
    this.buf = msg;
    this.pos = start;
    this.end = end;
    this.bounded = bounded;
    this.aborted = false;
  }

  /** Where the cursor is: in bounded mode, after a successful read, the message's end. */
  get position(): number {
    return this.pos;
  }

  /** Drops the message so it is not kept alive. */
  release(): void {
    this.buf = undefined;
  }

  private get b(): Buffer {
    return this.buf!;
  }

  arrayHeader(): number {
    const b = this.b;
    const h = b[this.pos]!;
    if (h >= 0x90 && h <= 0x9f) {
      this.pos++;
      return h & 0x0f;
    }
    if (h === 0xdc && this.pos + 3 <= this.end) {
      this.pos += 3;
      return (b[this.pos - 2]! << 8) | b[this.pos - 1]!;
    }
    return -1;
  }

  mapHeader(): number {
    const b = this.b;
    const h = b[this.pos]!;
    if (h >= 0x80 && h <= 0x8f) {
      this.pos++;
      return h & 0x0f;
    }
    if (h === 0xde && this.pos + 3 <= this.end) {
      this.pos += 3;
      return (b[this.pos - 2]! << 8) | b[this.pos - 1]!;
    }
    return -1;
  }

  strHeader(): number {
    const b = this.b;
    const p = this.pos;
    const h = b[p]!;
    const hl = h >= 0xa0 && h <= 0xbf ? 1 : h === 0xd9 ? 2 : h === 0xda ? 3 : h === 0xdb ? 5 : 0;
    if (hl === 0 || p + hl > this.end) return -1;
    const len =
      hl === 1
        ? h & 0x1f
        : hl === 2
          ? b[p + 1]!
          : hl === 3
            ? (b[p + 1]! << 8) | b[p + 2]!
            : b[p + 1]! * 0x1000000 + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
    if (p + hl + len > this.end) return -1;
    this.pos = p + hl;
    return len;
  }

  match(bytes: Uint8Array): boolean {
    const b = this.b;
    const p = this.pos;
    const n = bytes.length;
    if (p + n > this.end) return false;
    for (let i = 0; i < n; i++) if (b[p + i] !== bytes[i]) return false;
    this.pos = p + n;
    return true;
  }

  uint(): number {
    const b = this.b;
    const p = this.pos;
    if (p >= this.end) return -1;
    const h = b[p]!;
    if (h > 0x7f && p + UINT_LEN[h & 0x03]! > this.end) return -1; // only cc..cf pass below
    if (h <= 0x7f) {
      this.pos = p + 1;
      return h;
    }
    if (h === 0xcc) {
      this.pos = p + 2;
      return b[p + 1]!;
    }
    if (h === 0xcd) {
      this.pos = p + 3;
      return (b[p + 1]! << 8) | b[p + 2]!;
    }
    if (h === 0xce) {
      this.pos = p + 5;
      return b[p + 1]! * 0x1000000 + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
    }
    if (h === 0xcf) {
      this.pos = p + 9;
      return b.readUInt32BE(p + 1) * POW32 + b.readUInt32BE(p + 5);
    }
    return -1;
  }

  int(): unknown {
    const n = this.uint();
    return n >= 0 ? n : this.any();
  }

  str(): unknown {
    const len = this.strHeader();
    return len < 0 ? this.any() : this.strBody(len);
  }

  /** The payload of a str whose header was just read. */
  private strBody(len: number): string {
    const p = this.pos;
    this.pos = p + len;
    return decodeLossless(this.b, p, p + len);
  }

  any(): unknown {
    const b = this.b;
    if (this.pos >= this.end) return this.abort();
    const h = b[this.pos]!;
    // Scalars are read here; they decode identically on every path.
    if (h <= 0x7f || (h >= 0xcc && h <= 0xcf)) {
      const n = this.uint();
      return n >= 0 ? n : this.abort(); // a truncated integer (bounded mode only)
    }
    if (h >= 0xe0) {
      this.pos++;
      return h - 0x100;
    }
    if ((h >= 0xa0 && h <= 0xbf) || (h >= 0xd9 && h <= 0xdb)) {
      const len = this.strHeader();
      return len < 0 ? this.abort() : this.strBody(len); // cut off: bounded mode only
    }
    if (h === 0xc0) return (this.pos++, null);
    if (h === 0xc2) return (this.pos++, false);
    if (h === 0xc3) return (this.pos++, true);
    if (this.bounded) return this.abort();
    const start = this.pos;
    const end = skipValue(b, start, this.end);
    this.pos = end;
    return this.decodeRange(b, start, end);
  }

  atEnd(): boolean {
    return this.bounded || this.pos === this.end;
  }

  private abort(): undefined {
    this.aborted = true;
    this.pos = this.end;
    return undefined;
  }
}

/** Payload length after a header of a scalar (str/bin/ext/number), by type byte; -1: a container. */
function skipScalar(b: Buffer, p: number, h: number): number {
  if (h <= 0x7f || h >= 0xe0 || (h >= 0xc0 && h <= 0xc3)) return 1;
  if (h >= 0xa0 && h <= 0xbf) return 1 + (h & 0x1f);
  switch (h) {
    case 0xc4:
    case 0xd9:
      return 2 + b[p + 1]!;
    case 0xc5:
    case 0xda:
      return 3 + ((b[p + 1]! << 8) | b[p + 2]!);
    case 0xc6:
    case 0xdb:
      return 5 + b.readUInt32BE(p + 1);
    case 0xc7:
      return 3 + b[p + 1]!;
    case 0xc8:
      return 4 + ((b[p + 1]! << 8) | b[p + 2]!);
    case 0xc9:
      return 6 + b.readUInt32BE(p + 1);
    case 0xca:
      return 5;
    case 0xcb:
      return 9;
    case 0xcc:
    case 0xd0:
      return 2;
    case 0xcd:
    case 0xd1:
      return 3;
    case 0xce:
    case 0xd2:
      return 5;
    case 0xcf:
    case 0xd3:
      return 9;
    case 0xd4:
      return 3;
    case 0xd5:
      return 4;
    case 0xd6:
      return 6;
    case 0xd7:
      return 10;
    case 0xd8:
      return 18;
    default:
      return -1;
  }
}

/**
 * End of the value starting at `b[p]`: a walk over headers only, with a counter of values
 * still owed instead of recursion. The frame scanner has already checked the message's
 * structure, so no bounds beyond `end` are needed for correctness; they only stop a bad caller.
 */
export function skipValue(b: Buffer, p: number, end: number): number {
  let owed = 1;
  while (owed > 0 && p < end) {
    const h = b[p]!;
    owed--;
    const n = skipScalar(b, p, h);
    if (n >= 0) {
      p += n;
      continue;
    }
    // Container: its entries are owed (maps owe keys and values), then the header is passed.
    let entries = -1;
    let header = 1;
    if (h >= 0x80 && h <= 0x8f) entries = 2 * (h & 0x0f);
    else if (h >= 0x90 && h <= 0x9f) entries = h & 0x0f;
    else if (h === 0xdc || h === 0xde) {
      entries = ((b[p + 1]! << 8) | b[p + 2]!) * (h === 0xde ? 2 : 1);
      header = 3;
    } else if (h === 0xdd || h === 0xdf) {
      entries = b.readUInt32BE(p + 1) * (h === 0xdf ? 2 : 1);
      header = 5;
    }
    if (entries < 0) throw new RangeError(`unexpected byte 0x${h.toString(16)} in MessagePack value`);
    owed += entries;
    p += header;
  }
  if (owed > 0 || p > end) throw new RangeError('truncated MessagePack value');
  return p;
}
