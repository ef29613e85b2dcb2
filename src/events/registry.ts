/**
 * Running events by id. Event state is global to the server, never per connection: the Steps
 * of one event arrive on any pooled connection, and an event outlives the connection it began
 * on. An event is freed when it ends (`"ret"`, exit/error) or, if Kong stops driving it, by the
 * sweep after the TTL.
 */
import type { EventReply, Phase, UnknownPdkMemberHandler } from '../../generated/index.js';
import { IdAllocator } from '../ids.js';
import type { PluginInstance } from '../instances/instance.js';
import type { Logger } from '../log.js';
import { NO_METRICS, type ServerMeters } from '../metrics/index.js';
import {
  DEFAULT_SERVER_OPTIONS,
  type PluginEntry,
  type PluginErrorPolicy,
  type PluginErrorReport,
} from '../options.js';
import { PluginEvent, type EventContext, type EventEnd } from './event.js';

/** What the event table is built from. */
export interface EventRegistryOptions {
  ttlMs: number;
  logger: Logger;
  onPluginError?: (report: PluginErrorReport) => void;
  meters?: ServerMeters;
  policy?: PluginErrorPolicy;
  /** Resolves PDK names the IDL does not know, for the clients of this registry's events. */
  unknownPdkMember?: UnknownPdkMemberHandler;
  /** Where event ids come from (a worker of a multi-process server draws from its own residue class). */
  ids?: IdAllocator;
  /** Called just before plugin code runs for an event. */
  onPluginEnter?: (event: PluginEntry) => void;
}

/** The event table. */
export class EventRegistry {
  private readonly byId = new Map<number, PluginEvent>();
  private readonly ids: IdAllocator;
  private readonly ctx: EventContext;
  private readonly logger: Logger;
  private readonly ttlMs: number;
  private readonly unknownPdkMember: UnknownPdkMemberHandler | undefined;

  constructor(options: EventRegistryOptions) {
    this.logger = options.logger;
    this.unknownPdkMember = options.unknownPdkMember;
    this.ttlMs = options.ttlMs;
    this.ids = options.ids ?? new IdAllocator();
    this.ctx = {
      onPluginEnter: options.onPluginEnter,
      logger: options.logger,
      meters: options.meters ?? NO_METRICS,
      policy: options.policy ?? DEFAULT_SERVER_OPTIONS.pluginErrorPolicy,
      ttlMs: options.ttlMs,
      onPluginError: options.onPluginError,
      onEnd: (event: PluginEvent, _why: EventEnd): void => {
        this.byId.delete(event.id);
        const inst = event.instance;
        inst.runningEvents--;
        inst.lastUsed = Date.now();
      },
    };
  }

  /** The id the next event is likely to get (a worker reports it so a successor starts past it). */
  nextIdHint(): number {
    return this.ids.peek();
  }

  /** Starts `handler` as a new event of `instance`; resolves with its first move. */
  start(instance: PluginInstance, phase: Phase, handler: (kong: never) => unknown, self: unknown): Promise<EventReply> {
    const id = this.ids.allocate((n) => this.byId.has(n));
    const event = new PluginEvent(id, instance, phase, this.ctx);
    this.byId.set(id, event);
    instance.runningEvents++;
    instance.lastUsed = event.lastActive;
    return event.begin(handler as (kong: unknown) => unknown, self, this.unknownPdkMember);
  }

  /** The live event with this id. */
  get(id: number): PluginEvent | undefined {
    return this.byId.get(id);
  }

  /** How many events are live. */
  get size(): number {
    return this.byId.size;
  }

  /** Frees events idle for longer than the TTL; returns how many. */
  sweep(now = Date.now()): number {
    const expired: PluginEvent[] = [];
    for (const event of this.byId.values()) if (now - event.lastActive > this.ttlMs) expired.push(event);
    for (const event of expired) event.abandon('abandoned');
    if (expired.length > 0 && this.logger.enabled('info')) {
      const plugins = [...new Set(expired.map((e) => e.instance.plugin.name))].join(', ');
      this.logger.info(
        `freed ${expired.length} event(s) of ${plugins} that Kong stopped driving (no progress for ${this.ttlMs / 1000} s)`,
      );
    }
    return expired.length;
  }

  /** Frees every event (server shutdown). */
  clear(): void {
    for (const event of [...this.byId.values()]) event.abandon('closed');
  }
}
