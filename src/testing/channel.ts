/**
 * Kong's end of the RPC: every request is MessagePack-encoded as Kong would send it, and every
 * reply decoded with the project's streaming decoder, so values cross exactly as on the wire
 * (Buffers as bin, integers, nils). Two channels: in memory (bytes handed straight to the
 * server's dispatcher) and over a unix socket (the server's real listener).
 */
import * as net from 'node:net';
import { encode } from '@msgpack/msgpack';
import { dispatch, RpcCallError, type RpcHandlers } from '../../generated/index.js';
import { errorText } from '../log.js';
import { encodeRequest, encodeResponse, MessageDecoder } from '../wire/index.js';

/** The server answered a request with an error text. */
export class RpcReplyError extends Error {
  override get name(): string {
    return 'RpcReplyError';
  }
}

/** Kong's side of one connection to the plugin server. */
export interface RpcChannel {
  /**
   * Sends `[0, msgid, method, [param]]` and resolves with the reply's result (rejects with
   * {@link RpcReplyError} for an error reply). `strData` instead sends a Step whose `Data` is
   * a msgpack *str* holding these bytes, as Kong 2.x sends raw bodies.
   */
  call(method: string, param: unknown, strData?: { eventId: number; bytes: Buffer }): Promise<unknown>;
  /** Closes the connection. */
  close(): void;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A str header the way lua-MessagePack writes one (fixstr, str16, str32; never str8). */
function strHeader(n: number): Buffer {
  if (n <= 31) return Buffer.from([0xa0 | n]);
  if (n <= 0xffff) return Buffer.from([0xda, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xdb;
  b.writeUInt32BE(n, 1);
  return b;
}

/** `[0, msgid, method, [{EventId, Data: <str of bytes>}]]`, hand-built: no JS encoder writes raw bytes as str. */
export function encodeStepWithStrData(msgid: number, method: string, eventId: number, bytes: Buffer): Buffer {
  const head = asBuffer(encode([0, msgid, method]));
  head[0] = 0x94;
  return Buffer.concat([
    head,
    Buffer.from([0x91, 0x82]),
    asBuffer(encode('EventId')),
    asBuffer(encode(eventId)),
    asBuffer(encode('Data')),
    strHeader(bytes.length),
    bytes,
  ]);
}

function one(decoder: MessageDecoder, bytes: Buffer, who: string): unknown[] {
  const results = decoder.push(bytes);
  const r = results[0];
  if (results.length !== 1 || r === undefined || r.kind !== 'message' || !Array.isArray(r.value)) {
    throw new Error(`${who} could not decode a message: ${JSON.stringify(results)}`);
  }
  return r.value as unknown[];
}

function replyResult(m: unknown[], msgid: number): unknown {
  if (m.length !== 4 || m[0] !== 1 || m[1] !== msgid)
    throw new Error(`not the reply to request ${msgid}: ${JSON.stringify(m)}`);
  if (m[2] !== null && m[2] !== undefined)
    throw new RpcReplyError(typeof m[2] === 'string' ? m[2] : JSON.stringify(m[2]));
  return m[3];
}

/**
 * The in-memory channel: each request is encoded, decoded by a server-side
 * {@link MessageDecoder}, handed to the generated `dispatch()` over the real handlers, and the
 * reply encoded with `encodeResponse` and decoded again on Kong's side — the connection code
 * without the socket.
 */
export class MemoryChannel implements RpcChannel {
  private msgid = 0;
  private readonly serverSide = new MessageDecoder();
  private readonly kongSide = new MessageDecoder();

  constructor(private readonly handlers: RpcHandlers) {}

  async call(method: string, param: unknown, strData?: { eventId: number; bytes: Buffer }): Promise<unknown> {
    const msgid = ++this.msgid;
    const bytes = strData
      ? encodeStepWithStrData(msgid, method, strData.eventId, strData.bytes)
      : asBuffer(encodeRequest(msgid, method, [param]));
    const request = one(this.serverSide, bytes, 'the server');
    let error: string | null = null;
    let result: unknown = null;
    try {
      result = await dispatch(this.handlers, request[2], request[3]);
    } catch (e) {
      error = e instanceof RpcCallError ? e.message : `internal error: ${errorText(e)}`;
    }
    return replyResult(
      one(this.kongSide, asBuffer(encodeResponse(request[1] as number, error, result)), 'the kit'),
      msgid,
    );
  }

  close(): void {}
}

/** A channel over a unix socket: one connection, one request at a time (as Kong uses each pooled connection). */
export class SocketChannel implements RpcChannel {
  private msgid = 0;
  private readonly decoder = new MessageDecoder();
  private waiting: { msgid: number; resolve(v: unknown): void; reject(e: unknown): void } | undefined;
  private closed = false;
  /** `serverPid` notifications received. */
  readonly notifications: unknown[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const r of this.decoder.push(chunk)) {
        const w = this.waiting;
        if (r.kind !== 'message') {
          this.fail(new Error(`undecodable bytes from the server: ${JSON.stringify(r)}`));
          return;
        }
        const m = r.value as unknown[];
        if (Array.isArray(m) && m[0] === 2) {
          this.notifications.push(m);
          continue;
        }
        this.waiting = undefined;
        if (!w) continue;
        try {
          w.resolve(replyResult(m, w.msgid));
        } catch (e) {
          w.reject(e);
        }
      }
    });
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
    socket.on('error', () => {});
  }

  /** Connects to a listening plugin server. */
  static open(socketPath: string): Promise<SocketChannel> {
    return new Promise((resolve, reject) => {
      const s = net.connect(socketPath, () => {
        s.off('error', reject);
        resolve(new SocketChannel(s));
      });
      s.once('error', reject);
    });
  }

  private fail(e: Error): void {
    this.closed = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }

  call(method: string, param: unknown, strData?: { eventId: number; bytes: Buffer }): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the connection to the server is closed'));
    if (this.waiting) return Promise.reject(new Error('one request at a time per connection'));
    const msgid = ++this.msgid;
    return new Promise((resolve, reject) => {
      this.waiting = { msgid, resolve, reject };
      this.socket.write(
        strData
          ? encodeStepWithStrData(msgid, method, strData.eventId, strData.bytes)
          : encodeRequest(msgid, method, [param]),
      );
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
