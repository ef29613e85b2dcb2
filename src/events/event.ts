/**
 * One running phase handler (an "event") and the PDK transport it talks to Kong through.
 *
 * Kong drives an event as a chain of RPCs: HandleEvent, then one Step per PDK call, each
 * possibly on a different connection. Every RPC of the chain waits here for the plugin's next
 * move — a PDK call (sent as `{Method, Args}`) or the end of its handler (`"ret"`). Kong
 * executes one call at a time, so calls the plugin fires together (`Promise.all`) are queued
 * and go out one after another.
 *
 * Memory: an abandoned event (Kong stopped driving it) is the common case under a flood, so an
 * event keeps only what its next move needs, shares everything else through {@link EventContext},
 * and drops its calls and waiters the moment it ends.
 */
import { performance } from 'node:perf_hooks';
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
import type { EventOutcome, PdkMeter, ServerMeters } from '../metrics/index.js';
import type { PluginEntry, PluginErrorPolicy, PluginErrorReport } from '../options.js';
import { normalizeArgs } from '../pdk/args.js';
import { EventEndedError, PdkError } from '../pdk/errors.js';
import { fixResult } from '../pdk/results.js';
import { canFailClosed, failClosed } from './fail-closed.js';

interface PendingCall {
  readonly method: string;
  /** Dropped once sent: Kong has them, and an abandoned event should not keep them. */
  args: unknown[] | undefined;
  readonly flags: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** performance.now() when it went to Kong (metrics on only). */
  sentAt: number;
  /** Its function's meter, bound when it is sent (metrics on only). */
  meter: PdkMeter | undefined;
}

/** Epoch milliseconds from the monotonic clock: one clock read serves the TTL and the metrics. */
const ORIGIN = performance.timeOrigin;

// Event state bits (one number instead of four fields: thousands of abandoned events can be live).
const HANDLER_DONE = 1;
/** The handler threw (the outcome is `exception` whatever the reply was). */
const THREW = 2;
/** `kong.response.exit`/`error` was called: nothing more goes to Kong. */
const CLOSING = 4;
/** Freed: no longer reachable by Kong. */
const ENDED = 8;

const RESOLVED: Promise<undefined> = Promise.resolve(undefined);
const noop = (): void => {};

/** Why an event ended. */
export type EventEnd = 'ret' | 'exit' | 'abandoned' | 'closed';

/** What every event of a server shares (one object, so an event stays small). */
export interface EventContext {
  readonly logger: Logger;
  readonly meters: ServerMeters;
  readonly policy: PluginErrorPolicy;
  readonly ttlMs: number;
  readonly onEnd: (event: PluginEvent, why: EventEnd) => void;
  readonly onPluginError: ((report: PluginErrorReport) => void) | undefined;
  /** Called just before plugin code runs (a worker's watchdog names the plugin that blocks). */
  readonly onPluginEnter: ((event: PluginEntry) => void) | undefined;
}

/** An error made without a stack: thousands are made at once when a sweep frees abandoned events. */
function stacklessEventEnded(message: string): EventEndedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new EventEndedError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A running handler; implements the transport the generated PDK client calls. */
export class PluginEvent implements PdkTransport {
  /** The RPC (HandleEvent or a Step) waiting for this event's next `Data`. */
  private waiting: { resolve(r: EventReply): void; reject(e: Error): void } | undefined;
  /** The call Kong is executing: sent, its Step not yet received. */
  private inFlight: PendingCall | undefined;
  /** Calls made while another was in flight (created on the first such call). */
  private queue: PendingCall[] | undefined;
  private bits = 0;
  /** Last time Kong or the plugin moved, ms since the epoch (for the TTL sweep). */
  lastActive: number;
  /** performance.now() at HandleEvent. */
  private readonly startedAt: number;

  constructor(
    readonly id: number,
    readonly instance: PluginInstance,
    readonly phase: Phase,
    private readonly ctx: EventContext,
  ) {
    this.startedAt = performance.now();
    this.lastActive = ORIGIN + this.startedAt;
  }

  /** Freed: no longer reachable by Kong. */
  get ended(): boolean {
    return (this.bits & ENDED) !== 0;
  }

  /** Starts the handler; resolves with its first PDK call or `"ret"`. */
  begin(
    handler: (this: unknown, kong: ReturnType<typeof createPdk>) => unknown,
    self: unknown,
    onUnknownMember?: UnknownPdkMemberHandler,
  ): Promise<EventReply> {
    const reply = this.nextReply();
    let result: unknown;
    this.ctx.onPluginEnter?.(this);
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
    const t = performance.now();
    this.lastActive = ORIGIN + t;
    call.meter?.answered((t - call.sentAt) / 1000, isError);
    const reply = this.nextReply();
    this.ctx.onPluginEnter?.(this);
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
    if (this.bits & (CLOSING | ENDED)) return RESOLVED;
    let normalized: unknown[];
    try {
      normalized = normalizeArgs(method, args);
    } catch (e) {
      return Promise.reject(e);
    }
    if (flags & PdkCallFlags.NEVER_RETURNS) {
      this.bits |= CLOSING;
      this.enqueue({ method, args: normalized, flags, resolve: noop, reject: noop, sentAt: 0, meter: undefined });
      return RESOLVED;
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ method, args: normalized, flags, resolve, reject, sentAt: 0, meter: undefined });
    });
  }

  /** Frees an event Kong stopped driving (TTL) or whose server is going away; the waiting RPC is told why. */
  abandon(why: 'abandoned' | 'closed'): void {
    if (this.bits & ENDED) return;
    const w = this.waiting;
    this.waiting = undefined;
    this.end(why);
    if (w !== undefined) {
      const text =
        why === 'abandoned'
          ? RpcErrors.EventExpired(this.id, Math.round(this.ctx.ttlMs / 100) / 10)
          : RpcErrors.EventCancelled(this.id);
      w.reject(new RpcCallError(text));
    }
  }

  private enqueue(call: PendingCall): void {
    // The usual case: Kong waits and nothing is queued, so the call goes out without a queue.
    if (this.inFlight === undefined && this.waiting !== undefined && !this.queue?.length) {
      this.sendCall(call);
      return;
    }
    (this.queue ??= []).push(call);
    this.pump();
  }

  private nextReply(): Promise<EventReply> {
    return new Promise<EventReply>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** Sends the next move if an RPC is waiting and nothing is in flight. */
  private pump(): void {
    if (this.inFlight !== undefined || this.waiting === undefined || this.bits & ENDED) return;
    const next = this.queue?.shift();
    if (next !== undefined) {
      this.sendCall(next);
      return;
    }
    if (this.bits & HANDLER_DONE) {
      const t = performance.now();
      this.send('ret', t);
      this.end('ret', t);
    }
  }

  /** Sends a call to the waiting RPC (the caller checked that one waits and none is in flight). */
  private sendCall(call: PendingCall): void {
    const data: PdkCall = { Method: call.method, Args: call.args ?? [] };
    call.args = undefined;
    const t = performance.now();
    const meters = this.ctx.meters;
    if (meters.enabled) {
      const meter = meters.pdk(call.method);
      meter.sent();
      call.meter = meter;
      call.sentAt = t;
    }
    if (call.flags & PdkCallFlags.NEVER_RETURNS) {
      this.send(data, t);
      this.end('exit', t);
    } else {
      this.inFlight = call;
      this.send(data, t);
    }
  }

  /** Answers the waiting RPC; `t` is performance.now(). */
  private send(data: PdkCall | 'ret', t: number): void {
    const w = this.waiting!;
    this.waiting = undefined;
    this.lastActive = ORIGIN + t;
    w.resolve({ EventId: this.id, Data: data });
  }

  private handlerFinished(): void {
    this.bits |= HANDLER_DONE;
    this.pump();
  }

  private handlerFailed(e: unknown): void {
    const { logger } = this.ctx;
    if (this.bits & ENDED) {
      if (logger.enabled('debug')) logger.debug(`event ${this.id}: handler ended after the event: ${errorText(e)}`);
      return;
    }
    this.bits |= THREW;
    const plugin = this.instance.plugin.name;
    const closes = this.ctx.policy === 'fail-closed' && canFailClosed(this.phase) && !(this.bits & CLOSING);
    const where = `${plugin}.${this.phase} (instance ${this.instance.id}, event ${this.id})`;
    logger.warn(`plugin ${where} threw: ${errorText(e)}${closes ? '; the request ends with HTTP 500' : ''}`, {
      plugin,
      instance: this.instance.id,
      event: this.id,
      phase: this.phase,
      ...(e instanceof Error && e.stack ? { stack: e.stack } : {}),
    });
    this.ctx.onPluginError?.({
      plugin,
      instanceId: this.instance.id,
      eventId: this.id,
      phase: this.phase,
      message: errorText(e),
    });
    this.bits |= HANDLER_DONE;
    // Unsent calls of a failed handler are dropped; a pending exit/error still goes out.
    const q = this.queue;
    if (q !== undefined) {
      for (let i = q.length - 1; i >= 0; i--) {
        const c = q[i]!;
        if (!(c.flags & PdkCallFlags.NEVER_RETURNS)) {
          q.splice(i, 1);
          c.resolve(undefined);
        }
      }
    }
    if (closes) void failClosed(createPdk(this));
    this.pump();
  }

  private outcome(why: EventEnd): EventOutcome {
    if (this.bits & THREW) return 'exception';
    if (this.instance.object === undefined) return 'broken';
    switch (why) {
      case 'abandoned':
        return 'expired';
      case 'closed':
        return 'cancelled';
      default:
        return why;
    }
  }

  /** Frees the event; `t` is performance.now() when the caller has read it already. */
  private end(why: EventEnd, t?: number): void {
    if (this.bits & ENDED) return;
    this.bits |= ENDED;
    const q = this.queue;
    this.queue = undefined;
    if (q !== undefined) for (const c of q) c.resolve(undefined);
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    const meters = this.ctx.meters;
    if (meters.enabled)
      meters
        .phase(this.instance.plugin.name, this.phase)
        .ended(this.outcome(why), ((t ?? performance.now()) - this.startedAt) / 1000);
    this.ctx.onEnd(this, why);
    // Let an abandoned handler unwind instead of waiting forever on Kong.
    inFlight?.reject(stacklessEventEnded(`event ${this.id} ended (${why}) before Kong answered ${inFlight.method}`));
  }
}
