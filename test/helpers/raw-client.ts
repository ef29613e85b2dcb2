/**
 * A byte-level client for tests that must see exactly what the server writes (greeting bytes,
 * nothing after a reply, the raw form of a value) or send what no encoder produces (split
 * writes, garbage, hand-built MessagePack).
 */
import * as net from 'node:net';
import { MessageDecoder } from '../../src/wire/index.js';

/** One raw connection: every byte received is kept, and decoded alongside. */
export class RawConnection {
  /** Every chunk received, in order. */
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private readonly decoder = new MessageDecoder();
  /** Every message decoded from the server's bytes (notifications included). */
  readonly messages: unknown[] = [];
  /** Set if the server's bytes ever failed to decode. */
  decodeError: string | undefined;
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
      for (const r of this.decoder.push(chunk)) {
        if (r.kind === 'message') this.messages.push(r.value);
        else this.decodeError ??= JSON.stringify(r);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Connects to a server socket. */
  static open(socketPath: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(socketPath, () => {
        s.off('error', reject);
        resolve(new RawConnection(s));
      });
      s.once('error', reject);
    });
  }

  /** All bytes received so far, joined. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.received);
  }

  /** Number of bytes received so far. */
  get byteCount(): number {
    return this.received;
  }

  /** Writes bytes in one `write()`. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Writes `bytes` in pieces of `size` bytes, waiting `gapMs` between them (0: next tick). */
  async writeSlowly(bytes: Uint8Array, size: number, gapMs: number): Promise<void> {
    for (let i = 0; i < bytes.length; i += size) {
      if (this.closed) return;
      this.socket.write(bytes.subarray(i, Math.min(bytes.length, i + size)));
      await new Promise((r) => (gapMs > 0 ? setTimeout(r, gapMs) : setImmediate(r)));
    }
  }

  /** Waits until `pred` holds, the connection closes, or the timeout passes; returns `pred()`. */
  async until(pred: () => boolean, timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.closed) return pred();
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** Waits for at least `n` messages other than notifications; returns them all. */
  async replies(n: number, timeoutMs = 2000): Promise<unknown[][]> {
    const got = () => this.messages.filter((m) => !(Array.isArray(m) && m[0] === 2)) as unknown[][];
    if (!(await this.until(() => got().length >= n, timeoutMs))) {
      throw new Error(`expected ${n} replies, got ${got().length}${this.closed ? ' (connection closed)' : ''}`);
    }
    return got();
  }

  /** Waits until the server closes the connection; false on timeout. */
  waitClosed(timeoutMs = 2000): Promise<boolean> {
    return this.until(() => this.closed, timeoutMs);
  }

  /** Resolves after `ms` of nothing new arriving (or `ms` after the call if nothing arrives). */
  async quiet(ms: number): Promise<void> {
    let seen = this.received;
    for (;;) {
      await new Promise((r) => setTimeout(r, ms));
      if (this.received === seen) return;
      seen = this.received;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The greeting `[2, "serverPid", pid]` as the server writes it, up to the pid. */
export const GREETING_PREFIX = Buffer.from([0x93, 0x02, 0xa9, ...Buffer.from('serverPid')]);
