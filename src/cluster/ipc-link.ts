/**
 * Request/reply over a Node IPC channel (a forked child's `process`, or the primary's handle on
 * a child). Replies are matched by a request id; a channel that closes fails what is pending.
 */
import type { ChildProcess } from 'node:child_process';
import type * as net from 'node:net';
import { RpcCallError } from '../../generated/rpc.js';
import { errorText } from '../log.js';
import type { ChannelMessage, PrimaryRequest, ReplyTypes, WorkerRequest } from './messages.js';

/** The two ends the link works over. */
export type Channel = ChildProcess | NodeJS.Process;

type Body = PrimaryRequest | WorkerRequest;

/** Answers requests arriving on the channel. */
export type RequestHandler = (body: Body) => unknown;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** One end of the control channel. */
export class IpcLink {
  private nextRid = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    private readonly channel: Channel,
    private readonly onRequest: RequestHandler,
    private readonly onOther: (m: ChannelMessage, handle: net.Socket | undefined) => void,
  ) {
    channel.on('message', (m: ChannelMessage, handle?: net.Socket) => this.receive(m, handle));
    channel.on('disconnect', () => this.fail('the channel closed'));
  }

  /** Sends a message that expects no reply; false if the channel is gone. */
  post(m: ChannelMessage, handle?: net.Socket): boolean {
    if (this.closed || !this.channel.connected || !this.channel.send) return false;
    try {
      if (handle) this.channel.send(m, handle, { keepOpen: false });
      else this.channel.send(m);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a request; resolves with its reply's value. RPC errors come back as RpcCallError. */
  request<B extends Body>(body: B): Promise<ReplyTypes[B['k']]> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the channel is closed'));
        return;
      }
      const rid = this.nextRid++;
      this.pending.set(rid, { resolve, reject });
      if (!this.post({ t: 'req', rid, body })) {
        this.pending.delete(rid);
        reject(new Error('the channel is closed'));
      }
    });
  }

  /** Fails every pending request (the other end died). */
  fail(why: string): void {
    this.closed = true;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(new Error(why));
  }

  private receive(m: ChannelMessage, handle: net.Socket | undefined): void {
    if (m.t === 'res') {
      const p = this.pending.get(m.rid);
      if (!p) return;
      this.pending.delete(m.rid);
      if (m.ok) p.resolve(m.value);
      else p.reject(m.rpc ? new RpcCallError(m.error) : new Error(m.error));
      return;
    }
    if (m.t === 'req') {
      const rid = m.rid;
      let result: unknown;
      try {
        result = this.onRequest(m.body);
      } catch (e) {
        this.replyError(rid, e);
        return;
      }
      Promise.resolve(result).then(
        (value) => this.post({ t: 'res', rid, ok: true, value: value ?? null }),
        (e: unknown) => this.replyError(rid, e),
      );
      return;
    }
    this.onOther(m, handle);
  }

  private replyError(rid: number, e: unknown): void {
    this.post({ t: 'res', rid, ok: false, error: errorText(e), rpc: e instanceof RpcCallError });
  }
}
