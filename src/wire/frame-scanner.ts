/**
 * Incremental MessagePack structure scanner.
 *
 * Kong writes MessagePack values back to back with no length prefix, and a
 * socket read can end anywhere. Decoding optimistically and retrying when the
 * data runs out would re-parse a large message once per chunk (quadratic).
 * Instead this scanner walks only the *structure* of the stream: it reads type
 * headers, skips str/bin/ext payloads by their declared length (also across
 * chunk boundaries) and keeps a stack of element counts. Each byte is looked at
 * once at most and payload bytes are not looked at at all, so finding message
 * ends costs time linear in the number of headers plus chunks.
 *
 * It also enforces limits early (before any payload is buffered) and records
 * what the decoder needs to pick a fast or a safe decoding path.
 */

/** {@link FrameScanner.scan} result: the chunk ended inside a message. */
export const SCAN_NEED_MORE = -1;
/** {@link FrameScanner.scan} result: the stream is broken; see {@link FrameScanner.error}. */
export const SCAN_ERROR = -2;

/** Why the stream had to be abandoned. `too-large` carries the msgid when the
 * message started like a request, so the caller can answer it before closing. */
export type ScanError =
  | { kind: 'fatal'; reason: string }
  | { kind: 'too-large'; msgid: number | undefined; size: number; limit: number }
  | { kind: 'too-many-entries'; msgid: number | undefined; entries: number; limit: number };

/** Scanner limits. */
export interface ScannerOptions {
  /** Largest accepted message in bytes (default 128 MiB). */
  maxMessageBytes?: number;
  /** Deepest accepted array/map nesting (default 512); deeper is fatal. */
  maxDepth?: number;
  /** Most map and array entries accepted in one message, summed over all its maps (pairs)
   * and arrays (elements); default {@link DEFAULT_MAX_MESSAGE_ENTRIES}. */
  maxMessageEntries?: number;
}

/** Default message size cap: far above any real PDK call, low enough that a
 * corrupted length cannot make us buffer gigabytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
/** Default nesting cap: keeps recursive consumers far from stack overflow. */
export const DEFAULT_MAX_DEPTH = 512;
/** Default entries cap. Decoding is linear in entries, and maps with distinct keys cost the
 * most (every key becomes a property); this many keep one message's decoding near half a
 * second on a slow core, so other connections wait at most that long, while PDK results
 * (headers, query, JSON bodies, serialized logs) stay far below it. */
export const DEFAULT_MAX_MESSAGE_ENTRIES = 1_048_576;

/** Bytes needed, including the type byte, before a value's structure is known.
 * Integers include their value bytes so a request msgid can be read; floats and
 * fixext are header-only and skipped as payload. */
const HEADER_LEN = new Uint8Array(256).fill(1);
for (const [b, n] of [
  [0xc4, 2],
  [0xc5, 3],
  [0xc6, 5], // bin 8/16/32
  [0xc7, 2],
  [0xc8, 3],
  [0xc9, 5], // ext 8/16/32 (type byte skipped as payload)
  [0xcc, 2],
  [0xcd, 3],
  [0xce, 5],
  [0xcf, 9], // uint 8/16/32/64
  [0xd0, 2],
  [0xd1, 3],
  [0xd2, 5],
  [0xd3, 9], // int 8/16/32/64
  [0xd9, 2],
  [0xda, 3],
  [0xdb, 5], // str 8/16/32
  [0xdc, 3],
  [0xdd, 5],
  [0xde, 3],
  [0xdf, 5], // array/map 16/32
] as const) {
  HEADER_LEN[b] = n;
}

/** Str ranges recorded per message. Bounds the bookkeeping memory: without
 * it a message of tiny strs would cost ~8 bytes of ranges per input byte. */
export const MAX_STR_RANGES = 65536;

/** Internal header outcomes. */
const CONTINUE = 0;
const DONE = 1;
const FAILED = 2;

/**
 * Finds top-level message boundaries in a byte stream fed chunk by chunk.
 * Per-message facts (str ranges, presence of bin/ext, msgid) describe the
 * message that the last successful {@link scan} call completed and stay valid
 * until the next call.
 */
export class FrameScanner {
  /** Configured size cap. */
  readonly maxMessageBytes: number;
  /** Configured depth cap. */
  readonly maxDepth: number;
  /** Configured entries cap. */
  readonly maxMessageEntries: number;
  /** Map pairs plus array elements declared so far in the current message (after a scan that
   * completed one, the total of that message). */
  entries = 0;
  /** Debug counter of work done: header bytes examined plus one per payload
   * skip. Exposed so tests can assert linear cost without timing. */
  workUnits = 0;
  /** Set once the stream is unusable; all later scans return SCAN_ERROR. */
  error: ScanError | undefined;

  /** Flat (offset, length) pairs of every str payload, relative to the
   * message start; valid for the first `strCount * 2` entries. Reused. */
  strRanges: number[] = [];
  /** Number of str payloads recorded for the current message (empty ones,
   * trivially valid, are not recorded). */
  strCount = 0;
  /** More than MAX_STR_RANGES non-empty strs: the rest were not recorded, so
   * the caller must not assume they are UTF-8. */
  strOverflow = false;
  /** The message holds a bin value. */
  hasBin = false;
  /** The message holds an ext value. */
  hasExt = false;
  /** msgid if the message starts like a request `[0, msgid, ...]`. */
  msgid: number | undefined;

  /** Remaining elements of each open container (maps count keys and values). */
  private readonly stack: Float64Array;
  private depth = 0;
  /** Sum of `stack`: elements not started yet, each needs at least one byte. */
  private pendingElems = 0;
  /** Payload bytes still to skip for the current value. */
  private skip = 0;
  /** Bytes of the current message seen so far. */
  private msgPos = 0;
  private inMessage = false;
  /** Top-level value is a 4-array whose elements so far match a request. */
  private requestLike = false;
  /** A header split across chunks is assembled here (max 9 bytes). */
  private readonly hdr = new Uint8Array(9);
  private hdrHave = 0;
  private hdrNeed = 0;

  constructor(options: ScannerOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxMessageEntries = options.maxMessageEntries ?? DEFAULT_MAX_MESSAGE_ENTRIES;
    this.stack = new Float64Array(this.maxDepth);
  }

  /** True while a message has started but not ended (its bytes must be kept). */
  get midMessage(): boolean {
    return this.inMessage;
  }

  /**
   * Scan `src` from `from`. Returns the index just past the end of the message
   * that completes in this chunk (call again from there for the next one),
   * SCAN_NEED_MORE when the chunk is exhausted mid-message, or SCAN_ERROR.
   * Continues where the previous call stopped, so pass each byte once.
   */
  scan(src: Uint8Array, from: number): number {
    if (this.error !== undefined) return SCAN_ERROR;
    const end = src.length;
    let i = from;
    if (this.hdrHave > 0) {
      const take = Math.min(this.hdrNeed - this.hdrHave, end - i);
      this.hdr.set(src.subarray(i, i + take), this.hdrHave);
      this.hdrHave += take;
      i += take;
      if (this.hdrHave < this.hdrNeed) return SCAN_NEED_MORE;
      this.hdrHave = 0;
      const r = this.header(this.hdr, 0);
      if (r === DONE) return i;
      if (r === FAILED) return SCAN_ERROR;
    }
    while (i < end) {
      if (this.skip > 0) {
        this.workUnits++;
        const n = Math.min(this.skip, end - i);
        i += n;
        this.skip -= n;
        this.msgPos += n;
        if (this.skip > 0) return SCAN_NEED_MORE;
        if (this.valueDone()) return i;
        continue;
      }
      const need = HEADER_LEN[src[i]!]!;
      if (end - i < need) {
        if (!this.inMessage) this.beginMessage();
        this.hdr.set(src.subarray(i, end), 0);
        this.hdrHave = end - i;
        this.hdrNeed = need;
        return SCAN_NEED_MORE;
      }
      const r = this.header(src, i);
      i += need;
      if (r === DONE) return i;
      if (r === FAILED) return SCAN_ERROR;
    }
    return SCAN_NEED_MORE;
  }

  private beginMessage(): void {
    this.inMessage = true;
    this.msgPos = 0;
    this.strCount = 0;
    this.strOverflow = false;
    this.hasBin = false;
    this.hasExt = false;
    this.msgid = undefined;
    this.requestLike = false;
    this.entries = 0;
  }

  /** Interpret one complete header at `src[p]`. */
  private header(src: Uint8Array, p: number): number {
    const b = src[p]!;
    const need = HEADER_LEN[b]!;
    this.workUnits += need;
    if (!this.inMessage) this.beginMessage();
    if (this.depth > 0) {
      this.pendingElems--;
      if (this.requestLike && this.depth === 1) this.watchRequest(src, p, b);
    }
    this.msgPos += need;

    // Fixed-size single values.
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b !== 0xc1) || (b >= 0xcc && b <= 0xd3)) {
      return this.leaf();
    }
    if (b <= 0x8f) return this.open(b & 0x0f, true);
    if (b <= 0x9f) return this.open(b & 0x0f, false);
    if (b <= 0xbf) return this.str(b & 0x1f);
    switch (b) {
      case 0xc1:
        return this.fail({ kind: 'fatal', reason: 'reserved byte 0xc1 in MessagePack stream' });
      case 0xc4:
        return this.bin(src[p + 1]!);
      case 0xc5:
        return this.bin(u16(src, p + 1));
      case 0xc6:
        return this.bin(u32(src, p + 1));
      case 0xc7:
        return this.ext(1 + src[p + 1]!);
      case 0xc8:
        return this.ext(1 + u16(src, p + 1));
      case 0xc9:
        return this.ext(1 + u32(src, p + 1));
      case 0xca:
        return this.payload(4);
      case 0xcb:
        return this.payload(8);
      case 0xd4:
        return this.ext(2);
      case 0xd5:
        return this.ext(3);
      case 0xd6:
        return this.ext(5);
      case 0xd7:
        return this.ext(9);
      case 0xd8:
        return this.ext(17);
      case 0xd9:
        return this.str(src[p + 1]!);
      case 0xda:
        return this.str(u16(src, p + 1));
      case 0xdb:
        return this.str(u32(src, p + 1));
      case 0xdc:
        return this.open(u16(src, p + 1), false);
      case 0xdd:
        return this.open(u32(src, p + 1), false);
      case 0xde:
        return this.open(u16(src, p + 1), true);
      default: // 0xdf
        return this.open(u32(src, p + 1), true);
    }
  }

  /** Track whether this is `[0, msgid, ...]` and capture msgid: an oversized
   * request can then still get an error reply before the stream is closed. */
  private watchRequest(src: Uint8Array, p: number, b: number): void {
    const index = 4 - this.stack[0]!;
    if (index === 0) {
      if (b !== 0x00) this.requestLike = false;
      return;
    }
    this.requestLike = false; // only elements 0 and 1 matter
    if (b <= 0x7f) this.msgid = b;
    else if (b === 0xcc) this.msgid = src[p + 1]!;
    else if (b === 0xcd) this.msgid = u16(src, p + 1);
    else if (b === 0xce) this.msgid = u32(src, p + 1);
    else if (b === 0xcf) this.msgid = u32(src, p + 1) * 0x100000000 + u32(src, p + 5);
  }

  private str(len: number): number {
    if (len > 0 && !this.strOverflow) {
      if (this.strCount === MAX_STR_RANGES) {
        this.strOverflow = true;
      } else {
        const k = this.strCount * 2;
        this.strRanges[k] = this.msgPos;
        this.strRanges[k + 1] = len;
        this.strCount++;
      }
    }
    return this.payload(len);
  }

  private bin(len: number): number {
    this.hasBin = true;
    return this.payload(len);
  }

  private ext(len: number): number {
    this.hasExt = true;
    return this.payload(len);
  }

  /** A value whose remaining `len` bytes are opaque payload. */
  private payload(len: number): number {
    if (len === 0) return this.leaf();
    this.skip = len;
    return this.checkSize() ? CONTINUE : FAILED;
  }

  /** A value that is complete right after its header. */
  private leaf(): number {
    if (!this.checkSize()) return FAILED;
    return this.valueDone() ? DONE : CONTINUE;
  }

  /** An array (`count` elements) or map (`count` pairs). */
  private open(count: number, isMap: boolean): number {
    if (this.depth === 0) this.requestLike = !isMap && count === 4;
    if (count === 0) return this.leaf();
    if (this.depth >= this.maxDepth) {
      return this.fail({ kind: 'fatal', reason: `MessagePack nesting deeper than ${this.maxDepth}` });
    }
    const elems = isMap ? count * 2 : count;
    this.stack[this.depth++] = elems;
    this.pendingElems += elems;
    if (!this.checkSize()) return FAILED;
    // Counted at the header, before any entry is buffered: one add and compare per container.
    this.entries += count;
    if (this.entries > this.maxMessageEntries) {
      return this.fail({
        kind: 'too-many-entries',
        msgid: this.msgid,
        entries: this.entries,
        limit: this.maxMessageEntries,
      });
    }
    return CONTINUE;
  }

  /** The current value ended: pop finished containers. True if that ended the
   * top-level value, i.e. the message. */
  private valueDone(): boolean {
    while (this.depth > 0) {
      const top = this.depth - 1;
      const left = this.stack[top]! - 1;
      this.stack[top] = left;
      if (left > 0) return false;
      this.depth--;
    }
    this.inMessage = false;
    return true;
  }

  /** Lower bound of the message size from what the headers declared so far:
   * bytes seen + payload still owed + one byte per element not yet started.
   * Exceeding the cap is known here, long before the payload would arrive. */
  private checkSize(): boolean {
    const atLeast = this.msgPos + this.skip + this.pendingElems;
    if (atLeast <= this.maxMessageBytes) return true;
    this.fail({ kind: 'too-large', msgid: this.msgid, size: atLeast, limit: this.maxMessageBytes });
    return false;
  }

  private fail(e: ScanError): number {
    this.error = e;
    return FAILED;
  }
}

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}
