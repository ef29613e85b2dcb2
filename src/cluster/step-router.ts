/**
 * Steps between workers. Every worker listens on a peer socket of its own; a Step that reaches
 * a worker not owning its event is sent to the owner over that socket and the owner's answer
 * goes back out on the Kong connection the Step came in on. These sockets carry only Steps and
 * their replies, as MessagePack-RPC frames (the owner's Kong msgid stays on the sending side).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { RpcCallError, RpcErrors, type EventReply } from '../../generated/index.js';
import { errorText, type Logger } from '../log.js';
import { encodeRequest, encodeResponse, MessageDecoder } from '../wire/index.js';

/** Runs a Step locally (the owner's side). */
export type LocalStep = (method: string, params: unknown[]) => EventReply | Promise<EventReply>;

interface Waiting {
  eventId: number;
  resolve(r: EventReply): void;
  reject(e: Error): void;
}

interface PeerConnection {
  socket: net.Socket;
  waiting: Map<number, Waiting>;
  corked: boolean;
}

/** The peer socket path of `slot`. */
export function peerSocketPath(runDir: string, slot: number): string {
  return path.join(runDir, `w${slot}.sock`);
}

/** Writes `bytes`, gathering the writes of one tick into one system call. */
function batchedWrite(state: { socket: net.Socket; corked: boolean }, bytes: Uint8Array): void {
  if (!state.corked) {
    state.corked = true;
    state.socket.cork();
    process.nextTick(() => {
      state.corked = false;
      state.socket.uncork();
    });
  }
  state.socket.write(bytes);
}

/** A worker's end of the peer sockets: its listener and its connections to the others. */
export class StepRouter {
  private server: net.Server | undefined;
  private readonly peers = new Map<number, PeerConnection>();
  private readonly down = new Set<number>();
  private readonly inbound = new Set<net.Socket>();
  private nextFwd = 1;
  /** Steps sent to another worker. */
  forwarded = 0;

  constructor(
    private readonly slot: number,
    private readonly runDir: string,
    private readonly logger: Logger,
    private readonly local: LocalStep,
    private readonly maxMessageBytes: number,
  ) {}

  /** Listens on this worker's peer socket. */
  async listen(): Promise<void> {
    const p = peerSocketPath(this.runDir, this.slot);
    try {
      fs.unlinkSync(p);
    } catch {
      // not there: the first worker of this slot
    }
    const server = net.createServer({ noDelay: true }, (s) => this.serveInbound(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.logger.error(`peer listener error: ${errorText(e)}`));
    this.server = server;
  }

  /** Marks a slot down (its worker died: its events are lost) or up again. */
  setSlot(slot: number, up: boolean): void {
    if (up) this.down.delete(slot);
    else {
      this.down.add(slot);
      const peer = this.peers.get(slot);
      if (peer) this.dropPeer(slot, peer);
    }
  }

  /** Sends a Step to the worker of `owner`; resolves with that worker's answer. */
  forward(owner: number, eventId: number, method: string, params: unknown[]): Promise<EventReply> {
    if (this.down.has(owner)) return Promise.reject(new RpcCallError(RpcErrors.EventLost(eventId)));
    const peer = this.peers.get(owner) ?? this.connect(owner);
    const fwd = this.nextFwd;
    this.nextFwd = fwd >= 0x7fffffff ? 1 : fwd + 1;
    this.forwarded++;
    return new Promise<EventReply>((resolve, reject) => {
      peer.waiting.set(fwd, { eventId, resolve, reject });
      batchedWrite(peer, encodeRequest(fwd, method, params));
    });
  }

  /** Closes the listener and every peer connection. */
  close(): void {
    this.server?.close();
    for (const [slot, peer] of this.peers) this.dropPeer(slot, peer);
    for (const s of this.inbound) s.destroy();
    try {
      fs.unlinkSync(peerSocketPath(this.runDir, this.slot));
    } catch {
      // already gone
    }
  }

  private connect(owner: number): PeerConnection {
    const socket = net.connect(peerSocketPath(this.runDir, owner));
    socket.setNoDelay(true);
    const peer: PeerConnection = { socket, waiting: new Map(), corked: false };
    this.peers.set(owner, peer);
    const decoder = new MessageDecoder({ maxMessageBytes: this.maxMessageBytes });
    socket.on('data', (chunk: Buffer) => {
      for (const r of decoder.push(chunk)) {
        if (r.kind !== 'message' || !Array.isArray(r.value)) {
          socket.destroy();
          return;
        }
        const [, fwd, error, result, rpc] = r.value as [number, number, string | null, EventReply, boolean?];
        const w = peer.waiting.get(fwd);
        if (!w) continue;
        peer.waiting.delete(fwd);
        if (error === null) w.resolve(result);
        else w.reject(rpc === false ? new Error(error) : new RpcCallError(error));
      }
    });
    socket.on('error', (e) => this.logger.debug(`peer connection to worker ${owner}: ${errorText(e)}`));
    socket.on('close', () => this.dropPeer(owner, peer));
    return peer;
  }

  /** A peer connection ended: the Steps waiting on it cannot be answered by their owner. */
  private dropPeer(owner: number, peer: PeerConnection): void {
    if (this.peers.get(owner) === peer) this.peers.delete(owner);
    peer.socket.destroy();
    const waiting = [...peer.waiting.values()];
    peer.waiting.clear();
    for (const w of waiting) w.reject(new RpcCallError(RpcErrors.EventLost(w.eventId)));
  }

  private serveInbound(socket: net.Socket): void {
    this.inbound.add(socket);
    const out = { socket, corked: false };
    const decoder = new MessageDecoder({ maxMessageBytes: this.maxMessageBytes });
    const answer = (fwd: number, error: string | null, result: unknown, rpc = true): void => {
      if (socket.destroyed) return;
      const bytes = encodeResponse(fwd, error, result);
      // The 5th member says whether the error is an RPC error text (passed on as is).
      batchedWrite(out, rpc ? bytes : appendFlag(bytes));
    };
    socket.on('data', (chunk: Buffer) => {
      for (const r of decoder.push(chunk)) {
        if (r.kind !== 'message' || !Array.isArray(r.value)) {
          socket.destroy();
          return;
        }
        const [, fwd, method, params] = r.value as [number, number, string, unknown[]];
        let result: EventReply | Promise<EventReply>;
        try {
          result = this.local(method, params);
        } catch (e) {
          answer(fwd, errorText(e), null, e instanceof RpcCallError);
          continue;
        }
        Promise.resolve(result).then(
          (v) => answer(fwd, null, v),
          (e: unknown) => answer(fwd, errorText(e), null, e instanceof RpcCallError),
        );
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.inbound.delete(socket));
  }
}

/** `[1, id, err, res]` → `[1, id, err, res, false]`: the array header is one byte (0x94 → 0x95). */
function appendFlag(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[0] = 0x95;
  out[bytes.length] = 0xc2;
  return out;
}
