/**
 * Kong's end of the RPC: every request is MessagePack-encoded as Kong would send it, and every
 * reply decoded with the project's streaming decoder, so values cross exactly as on the wire
 * (Buffers as bin, integers, nils). Two channels: in memory (bytes handed straight to the
 * server's dispatcher) and over a unix socket (the server's real listener).
 */
import * as net from 'node:net';
import { encode } from '@msgpack/msgpack';
import {
  dispatch,
  RpcCallError,
  RpcErrors,
  type EventReply,
  type RpcArgs,
  type RpcCall,
  type RpcHandlers,
  type RpcMethodName,
  type RpcResult,
  type StepMethodName,
  withoutContractPhrase,
} from '../../generated/index.js';
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
   * Sends `[0, msgid, method, args]` and resolves with the reply's result (rejects with
   * {@link RpcReplyError} for an error reply); params and result are typed from the IDL.
   */
  readonly call: RpcCall;
  /** Sends a Step whose `Data` is a msgpack *str* holding `bytes`, as Kong 2.x sends raw bodies. */
  stepWithStr(method: StepMethodName, eventId: number, bytes: Buffer): Promise<EventReply>;
  /** Closes the connection. */
  close(): void;
}

/**
 * One request/reply exchange at a time; subclasses move the bytes. The reply's result is
 * trusted to have the IDL's shape: the server under test encoded it from the generated types.
 */
abstract class Exchange {
  private msgid = 0;

  readonly call: RpcCall = <M extends RpcMethodName>(method: M, ...args: RpcArgs<M>): Promise<RpcResult<M>> =>
    this.exchange((id) => asBuffer(encodeRequest(id, method, args))) as Promise<RpcResult<M>>;

  stepWithStr(method: StepMethodName, eventId: number, bytes: Buffer): Promise<EventReply> {
    return this.exchange((id) => encodeStepWithStrData(id, method, eventId, bytes)) as Promise<EventReply>;
  }

  private exchange(encodeWith: (msgid: number) => Buffer): Promise<unknown> {
    const msgid = ++this.msgid;
    return this.send(msgid, encodeWith(msgid));
  }

  /** Sends one encoded request and resolves with its reply's result. */
  protected abstract send(msgid: number, bytes: Buffer): Promise<unknown>;
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
export class MemoryChannel extends Exchange implements RpcChannel {
  private readonly serverSide = new MessageDecoder();
  private readonly kongSide = new MessageDecoder();

  constructor(private readonly handlers: RpcHandlers) {
    super();
  }

  protected async send(msgid: number, bytes: Buffer): Promise<unknown> {
    const request = one(this.serverSide, bytes, 'the server');
    let error: string | null = null;
    let result: unknown = null;
    try {
      result = await dispatch(this.handlers, request[2], request[3]);
    } catch (e) {
      // As the server's connection answers a handler failure (src/server/connection.ts).
      error = e instanceof RpcCallError ? e.message : withoutContractPhrase(RpcErrors.InternalError(errorText(e)));
    }
    return replyResult(
      one(this.kongSide, asBuffer(encodeResponse(request[1] as number, error, result)), 'the kit'),
      msgid,
    );
  }

  close(): void {}
}

/** A channel over a unix socket: one connection, one request at a time (as Kong uses each pooled connection). */
export class SocketChannel extends Exchange implements RpcChannel {
  private readonly decoder = new MessageDecoder();
  private waiting: { msgid: number; resolve(v: unknown): void; reject(e: unknown): void } | undefined;
  private closed = false;
  /** `serverPid` notifications received. */
  readonly notifications: unknown[] = [];

  private constructor(private readonly socket: net.Socket) {
    super();
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

  protected send(msgid: number, bytes: Buffer): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the connection to the server is closed'));
    if (this.waiting) return Promise.reject(new Error('one request at a time per connection'));
    return new Promise((resolve, reject) => {
      this.waiting = { msgid, resolve, reject };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
