/**
 * One running phase handler (an "event") and the PDK transport it talks to Kong through.
 *
 * Kong drives an event as a chain of RPCs: HandleEvent, then one Step per PDK call, each
 * possibly on a different connection. Every RPC of the chain waits here for the plugin's next
 * move — a PDK call (sent as `{Method, Args}`) or the end of its handler (`"ret"`). Kong
 * executes one call at a time, so calls the plugin fires together (`Promise.all`) are queued
 * and go out one after another.
 */
import {
  createPdk,
  PdkCallFlags,
  RpcCallError,
  RpcErrors,
  type EventReply,
  type PdkCall,
  type PdkTransport,
  type Phase,
  type UnknownPdkMemberHandler,
} from '../../generated/index.js';
import type { PluginInstance } from '../instances/instance.js';
import { errorText, type Logger } from '../log.js';
import type { PluginErrorReport } from '../options.js';
import { normalizeArgs } from '../pdk/args.js';
import { EventEndedError, PdkError } from '../pdk/errors.js';
import { fixResult } from '../pdk/results.js';

interface PendingCall {
  readonly method: string;
  readonly args: unknown[];
  readonly flags: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const RESOLVED: Promise<undefined> = Promise.resolve(undefined);
const noop = (): void => {};

/** Why an event ended. */
export type EventEnd = 'ret' | 'exit' | 'abandoned' | 'closed';

/** A running handler; implements the transport the generated PDK client calls. */
export class PluginEvent implements PdkTransport {
  /** The RPC (HandleEvent or a Step) waiting for this event's next `Data`. */
  private waiting: { resolve(r: EventReply): void; reject(e: Error): void } | undefined;
  /** The call Kong is executing: sent, its Step not yet received. */
  private inFlight: PendingCall | undefined;
  /** Calls made while another was in flight. */
  private readonly queue: PendingCall[] = [];
  private handlerDone = false;
  /** `kong.response.exit`/`error` was called: nothing more goes to Kong. */
  private closing = false;
  /** Freed: no longer reachable by Kong. */
  ended = false;
  /** Last time Kong or the plugin moved, ms since the epoch (for the TTL sweep). */
  lastActive = Date.now();

  constructor(
    readonly id: number,
    readonly instance: PluginInstance,
    readonly phase: Phase,
    private readonly onEnd: (event: PluginEvent, why: EventEnd) => void,
    private readonly logger: Logger,
    private readonly onPluginError?: (report: PluginErrorReport) => void,
  ) {}

  /** Starts the handler; resolves with its first PDK call or `"ret"`. */
  begin(
    handler: (this: unknown, kong: ReturnType<typeof createPdk>) => unknown,
    self: unknown,
    onUnknownMember?: UnknownPdkMemberHandler,
  ): Promise<EventReply> {
    const reply = this.nextReply();
    let result: unknown;
    try {
      result = handler.call(self, createPdk(this, onUnknownMember));
    } catch (e) {
      this.handlerFailed(e);
      return reply;
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => this.handlerFinished(),
        (e: unknown) => this.handlerFailed(e),
      );
    } else {
      this.handlerFinished();
    }
    return reply;
  }

  /** Kong's answer to the call in flight (`isError`: a StepError); resolves with the next move. */
  step(data: unknown, isError: boolean): Promise<EventReply> {
    const call = this.inFlight;
    if (call === undefined || this.waiting !== undefined) {
      return Promise.reject(new RpcCallError(RpcErrors.EventNotWaiting(this.id)));
    }
    this.inFlight = undefined;
    this.lastActive = Date.now();
    const reply = this.nextReply();
    if (isError)
      call.reject(new PdkError(call.method, typeof data === 'string' ? data : String(data ?? 'unknown error')));
    else call.resolve(fixResult(data, call.flags, this.instance.plugin.rawBodies));
    // A call queued behind this one can go at once.
    this.pump();
    return reply;
  }

  /** PdkTransport: one PDK call of the plugin. */
  call(method: string, args: unknown[], flags: number): Promise<unknown> {
    // After exit/error, or once Kong has gone, calls resolve without being sent.
    if (this.closing || this.ended) return RESOLVED;
    let normalized: unknown[];
    try {
      normalized = normalizeArgs(method, args);
    } catch (e) {
      return Promise.reject(e);
    }
    if (flags & PdkCallFlags.NEVER_RETURNS) {
      this.closing = true;
      this.queue.push({ method, args: normalized, flags, resolve: noop, reject: noop });
      this.pump();
      return RESOLVED;
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ method, args: normalized, flags, resolve, reject });
      this.pump();
    });
  }

  /** Frees an event Kong stopped driving (TTL) or whose instance's server is going away. */
  abandon(why: 'abandoned' | 'closed'): void {
    if (this.ended) return;
    const w = this.waiting;
    this.waiting = undefined;
    this.end(why);
    w?.reject(new Error(`event ${this.id} ${why === 'abandoned' ? 'timed out' : 'was cancelled'}`));
  }

  private nextReply(): Promise<EventReply> {
    return new Promise<EventReply>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** Sends the next move if an RPC is waiting and nothing is in flight. */
  private pump(): void {
    if (this.inFlight !== undefined || this.waiting === undefined || this.ended) return;
    const next = this.queue.shift();
    if (next !== undefined) {
      const data: PdkCall = { Method: next.method, Args: next.args };
      if (next.flags & PdkCallFlags.NEVER_RETURNS) {
        this.send(data);
        this.end('exit');
      } else {
        this.inFlight = next;
        this.send(data);
      }
      return;
    }
    if (this.handlerDone) {
      this.send('ret');
      this.end('ret');
    }
  }

  private send(data: PdkCall | 'ret'): void {
    const w = this.waiting!;
    this.waiting = undefined;
    this.lastActive = Date.now();
    w.resolve({ EventId: this.id, Data: data });
  }

  private handlerFinished(): void {
    this.handlerDone = true;
    this.pump();
  }

  private handlerFailed(e: unknown): void {
    if (this.ended) {
      this.logger.debug(`event ${this.id}: handler ended after the event: ${errorText(e)}`);
      return;
    }
    const where = `${this.instance.plugin.name}.${this.phase} (instance ${this.instance.id}, event ${this.id})`;
    this.logger.warn(`plugin ${where} threw: ${errorText(e)}`);
    if (e instanceof Error && e.stack && this.logger.enabled('debug')) this.logger.debug(e.stack);
    this.onPluginError?.({
      plugin: this.instance.plugin.name,
      instanceId: this.instance.id,
      eventId: this.id,
      phase: this.phase,
      message: errorText(e),
    });
    this.handlerDone = true;
    // Unsent calls of a failed handler are dropped; a pending exit/error still goes out.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const c = this.queue[i]!;
      if (!(c.flags & PdkCallFlags.NEVER_RETURNS)) {
        this.queue.splice(i, 1);
        c.resolve(undefined);
      }
    }
    this.pump();
  }

  private end(why: EventEnd): void {
    if (this.ended) return;
    this.ended = true;
    for (const c of this.queue) c.resolve(undefined);
    this.queue.length = 0;
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    this.onEnd(this, why);
    // Let an abandoned handler unwind instead of waiting forever on Kong.
    inFlight?.reject(new EventEndedError(`event ${this.id} ended (${why}) before Kong answered ${inFlight.method}`));
  }
}
