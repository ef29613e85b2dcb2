/**
 * Streaming decoder for the Kong plugin-server socket.
 *
 * Bytes go through the {@link FrameScanner} (linear, no decoding) until a
 * message is whole; then the message is decoded once: the requests every event
 * sends (HandleEvent, the Steps) by the reader generated from the IDL
 * (generated/wire-codec.ts), everything else — and the arbitrary values inside
 * those requests — by @msgpack/msgpack when that is known to be exact and by
 * the {@link LosslessDecoder} otherwise.
 */

import { Buffer, isUtf8 } from 'node:buffer';
import { Decoder } from '@msgpack/msgpack';
import { readHotRequest } from '../../generated/wire-codec.js';
import { FrameScanner, SCAN_ERROR, SCAN_NEED_MORE, type ScanError } from './frame-scanner.js';
import { LosslessDecoder } from './lossless-decoder.js';
import { MessageReader } from './message-reader.js';

/** One outcome of {@link MessageDecoder.push}. After `too-large`,
 * `too-many-entries` or `fatal` the stream is out of sync for good: reply if
 * possible, then close. `deferred` (only with
 * {@link MessageDecoderOptions.sliceLargeMessages}) is a message being decoded
 * in slices: handle it, when it settles, before the results after it. */
export type DecodeResult =
  { kind: 'message'; value: unknown } | { kind: 'deferred'; result: Promise<DecodeResult> } | ScanError;

/** Options for {@link MessageDecoder}. */
export interface MessageDecoderOptions {
  /** Largest accepted message in bytes (default 128 MiB). */
  maxMessageBytes?: number;
  /** Most map and array entries accepted in one message (default 1,048,576). */
  maxMessageEntries?: number;
  /** Decode messages with more than {@link SLICED_MESSAGE_ENTRIES} entries a slice per
   * event-loop turn (a `deferred` result), so other sockets are served in between
   * (default false: every result is synchronous). */
  sliceLargeMessages?: boolean;
  /** Use the reader generated from the IDL for the hot requests (default true; false is
   * the general path alone, for comparisons). */
  generatedReader?: boolean;
}

/** Counters for tests and benchmarks (not part of the protocol). */
export interface DecoderStats {
  /** Bytes copied to join messages that spanned chunks: each such byte once,
   * plus small reads gathered into (and regrown in) the accumulator. */
  bytesCopied: number;
  /** Messages decoded by @msgpack/msgpack. */
  fastPath: number;
  /** Messages decoded by the lossless decoder. */
  slowPath: number;
}

/** @msgpack/msgpack returns bin as `bytes.subarray()`, which is a Buffer when
 * the input is a Buffer. Probe once rather than trust it: if a future version
 * copies into a plain Uint8Array, messages with bin take the lossless path,
 * which always yields Buffer views. */
const FAST_BIN_IS_BUFFER = Buffer.isBuffer(new Decoder().decode(Buffer.from([0xc4, 0x00])));

/** Reads shorter than this that end mid-message are copied into an
 * accumulator instead of being kept as separate views. */
const SMALL_PIECE = 1024;

/** Strings this short are checked with a JS ASCII loop before calling the
 * native validator (saves a view allocation for typical keys and names). */
const SMALL_STR = 24;

/** Messages with more map and array entries than this are decoded in slices when
 * {@link MessageDecoderOptions.sliceLargeMessages} is on. */
export const SLICED_MESSAGE_ENTRIES = 65536;

/** Values decoded per slice: about 10–30 ms of work, the longest other sockets wait. */
const SLICE_VALUES = 32768;

/** Above this many entries the lossless decoder goes first: with many distinct keys it is
 * about twice as fast as @msgpack/msgpack, whose key cache then only costs. */
const MANY_ENTRIES = 4096;

/**
 * Turns socket chunks into decoded messages. Takes ownership of pushed
 * chunks: decoded bin values may be views into them, so do not reuse a chunk
 * buffer after pushing it (Node socket chunks are never reused).
 */
export class MessageDecoder {
  /** Debug counters. */
  readonly stats: DecoderStats = { bytesCopied: 0, fastPath: 0, slowPath: 0 };
  /** Messages read by the generated reader. Container values inside them are decoded by
   * the general decoders and also counted in {@link stats}. */
  generatedReads = 0;

  private readonly scanner: FrameScanner;
  private readonly fast = new Decoder();
  private readonly slow = new LosslessDecoder();
  private readonly reader: MessageReader | undefined;
  private readonly sliceLarge: boolean;
  /** Bounded-mode reads are allowed (limits too tight for them fall back to the scanner). */
  private readonly hotInChunk: boolean;
  /** The result {@link readHotInChunk} produced. */
  private hot: DecodeResult | undefined;
  /** Whether @msgpack is exact for the message being decoded; computed on first need. */
  private fastExact: boolean | undefined;
  /** Pieces of the message in progress: views of large reads; small reads
   * are gathered into `acc` so tiny reads do not cost one object per read. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Growable buffer collecting consecutive small pieces (bytes 0..accLen). */
  private acc: Buffer | undefined;
  private accLen = 0;
  private closed = false;

  constructor(options: MessageDecoderOptions = {}) {
    this.scanner = new FrameScanner({
      ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
      ...(options.maxMessageEntries === undefined ? {} : { maxMessageEntries: options.maxMessageEntries }),
    });
    this.reader = options.generatedReader === false ? undefined : new MessageReader(this.decodeRange);
    this.sliceLarge = options.sliceLargeMessages === true;
    // A hot request of scalars has 7 entries, depth 3 and, read in one chunk, at most
    // a chunk's bytes (checked per message); stricter limits than that are the scanner's.
    this.hotInChunk = this.scanner.maxMessageEntries >= 7 && this.scanner.maxDepth >= 3;
  }

  /** Bytes held for a message that has not ended yet. */
  get bufferedBytes(): number {
    return this.partsBytes;
  }

  /** Scanner work units so far (see {@link FrameScanner.workUnits}). */
  get scanWork(): number {
    return this.scanner.workUnits;
  }

  /**
   * Feed the next chunk of the stream. Returns every message completed by it
   * in order, possibly none. After a `too-large` or `fatal` result it returns
   * nothing more. Never throws on bad input.
   */
  push(chunk: Uint8Array): DecodeResult[] {
    const out: DecodeResult[] = [];
    if (this.closed) return out;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    while (from < buf.length) {
      // A hot request that starts at a message boundary and ends in this chunk is read
      // straight from the chunk by the generated reader, which also finds its end.
      if (this.reader !== undefined && buf[from] === 0x94 && this.partsBytes === 0 && !this.scanner.midMessage) {
        const end = this.readHotInChunk(buf, from);
        if (end > 0) {
          from = end;
          out.push(this.hot!);
          this.hot = undefined;
          continue;
        }
      }
      const end = this.scanner.scan(buf, from);
      if (end === SCAN_NEED_MORE) {
        this.keep(from === 0 ? buf : buf.subarray(from));
        break;
      }
      if (end === SCAN_ERROR) {
        out.push(this.scanner.error ?? { kind: 'fatal', reason: 'scanner failed' });
        this.close();
        break;
      }
      out.push(this.decodeWhole(this.join(buf, from, end)));
      if (this.closed) break;
      from = end;
    }
    return out;
  }

  /** Hold on to a piece of an unfinished message. Large pieces are kept as
   * views (no copy); small ones are appended to a doubling buffer, which keeps
   * the cost linear and the overhead bounded even for one-byte reads. */
  private keep(piece: Buffer): void {
    this.partsBytes += piece.length;
    if (piece.length >= SMALL_PIECE) {
      this.flushAcc();
      this.parts.push(piece);
      return;
    }
    let acc = this.acc;
    if (acc === undefined || this.accLen + piece.length > acc.length) {
      const grown = Buffer.allocUnsafe(Math.max(SMALL_PIECE, 2 * (this.accLen + piece.length)));
      if (acc !== undefined) acc.copy(grown, 0, 0, this.accLen);
      this.stats.bytesCopied += this.accLen;
      acc = this.acc = grown;
    }
    piece.copy(acc, this.accLen);
    this.accLen += piece.length;
    this.stats.bytesCopied += piece.length;
  }

  private flushAcc(): void {
    if (this.acc === undefined) return;
    this.parts.push(this.acc.subarray(0, this.accLen));
    this.acc = undefined;
    this.accLen = 0;
  }

  /** The complete message ending at `buf[end]`: a view when it lies inside
   * this chunk, else one concatenation of all its pieces. */
  private join(buf: Buffer, from: number, end: number): Buffer {
    if (this.partsBytes === 0) return buf.subarray(from, end);
    this.flushAcc();
    this.parts.push(buf.subarray(from, end));
    const total = this.partsBytes + (end - from);
    const msg = Buffer.concat(this.parts, total);
    this.stats.bytesCopied += total;
    this.parts = [];
    this.partsBytes = 0;
    return msg;
  }

  /** Reads a hot request of scalars at `buf[from]` in bounded mode; returns its end (the
   * result in {@link hot}), or -1 when the general framing must take the bytes. */
  private readHotInChunk(buf: Buffer, from: number): number {
    const reader = this.reader!;
    if (!this.hotInChunk) return -1;
    reader.reset(buf, from, buf.length, true);
    try {
      const value = readHotRequest(reader);
      const end = reader.position;
      if (value === undefined || reader.aborted || end - from > this.scanner.maxMessageBytes) return -1;
      this.generatedReads++;
      this.hot = { kind: 'message', value };
      return end;
    } catch {
      return -1; // cannot happen with bounds-checked reads; the scanner decides
    } finally {
      reader.release();
    }
  }

  private decodeWhole(msg: Buffer): DecodeResult {
    this.fastExact = undefined;
    if (this.sliceLarge && this.scanner.entries > SLICED_MESSAGE_ENTRIES) return this.sliced(msg);
    const reader = this.reader;
    if (reader !== undefined && msg[0] === 0x94) {
      reader.reset(msg);
      try {
        const value = readHotRequest(reader);
        if (value !== undefined) {
          this.generatedReads++;
          return { kind: 'message', value };
        }
      } catch {
        // Unreachable for scanner-validated input; the general path decides.
      } finally {
        reader.release();
      }
    }
    try {
      return { kind: 'message', value: this.decodeRange(msg, 0, msg.length) };
    } catch (e) {
      // Unreachable for scanner-validated input; fail closed if it happens.
      this.close();
      return { kind: 'fatal', reason: `undecodable message: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Decodes the one value in `msg[start, end)` of the current message: by @msgpack when it
   * is exact for this message, else (or when it refuses a key) by the lossless decoder. */
  private readonly decodeRange = (msg: Buffer, start: number, end: number): unknown => {
    const part = start === 0 && end === msg.length ? msg : msg.subarray(start, end);
    if ((this.fastExact ??= this.fastIsExact(msg))) {
      try {
        const value: unknown = this.fast.decode(part);
        this.stats.fastPath++;
        return value;
      } catch {
        // "__proto__" or non-string/number map keys: the lossless decoder handles them.
      }
    }
    const value = this.slow.decode(part);
    this.stats.slowPath++;
    return value;
  };

  /** Decodes `msg` with its own lossless decoder, {@link SLICE_VALUES} values per turn of
   * the event loop; the first slice waits for the current turn's I/O to be handled. */
  private sliced(msg: Buffer): DecodeResult {
    const d = new LosslessDecoder();
    d.begin(msg);
    const result = new Promise<DecodeResult>((resolve) => {
      const slice = (): void => {
        try {
          if (!d.run(SLICE_VALUES)) {
            setImmediate(slice);
            return;
          }
          this.stats.slowPath++;
          resolve({ kind: 'message', value: d.result });
        } catch (e) {
          // Unreachable for scanner-validated input; fail closed if it happens.
          resolve({ kind: 'fatal', reason: `undecodable message: ${e instanceof Error ? e.message : String(e)}` });
        }
      };
      setImmediate(slice);
    });
    return { kind: 'deferred', result };
  }

  /** @msgpack is exact only if every str is UTF-8 (it would insert U+FFFD), there is no ext
   * (it would build ExtData/Date) and its bin is a Buffer. With too many strs to have
   * recorded, the lossless path is the safe one; with very many entries, the faster one. */
  private fastIsExact(msg: Buffer): boolean {
    const sc = this.scanner;
    return (
      !sc.hasExt &&
      !sc.strOverflow &&
      sc.entries <= MANY_ENTRIES &&
      (FAST_BIN_IS_BUFFER || !sc.hasBin) &&
      strsAreUtf8(msg, sc.strRanges, sc.strCount)
    );
  }

  private close(): void {
    this.closed = true;
    this.parts = [];
    this.partsBytes = 0;
    this.acc = undefined;
    this.accLen = 0;
  }
}

/** Validate each recorded str payload of a whole message. */
function strsAreUtf8(msg: Buffer, ranges: readonly number[], count: number): boolean {
  const n = count * 2;
  for (let k = 0; k < n; k += 2) {
    const off = ranges[k]!;
    const end = off + ranges[k + 1]!;
    if (end - off <= SMALL_STR) {
      let i = off;
      while (i < end && msg[i]! < 0x80) i++;
      if (i === end) continue;
    }
    if (!isUtf8(msg.subarray(off, end))) return false;
  }
  return true;
}
