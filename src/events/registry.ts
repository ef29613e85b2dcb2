/**
 * Running events by id. Event state is global to the server, never per connection: the Steps
 * of one event arrive on any pooled connection, and an event outlives the connection it began
 * on. An event is freed when it ends (`"ret"`, exit/error) or, if Kong stops driving it, after
 * the TTL.
 */
import type { EventReply, Phase, UnknownPdkMemberHandler } from '../../generated/index.js';
import { IdAllocator } from '../ids.js';
import type { PluginInstance } from '../instances/instance.js';
import type { Logger } from '../log.js';
import type { PluginErrorReport } from '../options.js';
import { PluginEvent, type EventEnd } from './event.js';

/** The event table. */
export class EventRegistry {
  private readonly byId = new Map<number, PluginEvent>();
  private readonly ids = new IdAllocator();
  private readonly onEnd = (event: PluginEvent, why: EventEnd): void => {
    this.byId.delete(event.id);
    const inst = event.instance;
    inst.runningEvents--;
    inst.lastUsed = Date.now();
    if (why === 'abandoned')
      this.logger.info(`event ${event.id} of ${inst.plugin.name} abandoned by Kong, freed after the TTL`);
  };

  constructor(
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly onPluginError?: (report: PluginErrorReport) => void,
    /** Resolves PDK names the IDL does not know, for the clients of this registry's events. */
    private readonly unknownPdkMember?: UnknownPdkMemberHandler,
  ) {}

  /** Starts `handler` as a new event of `instance`; resolves with its first move. */
  start(instance: PluginInstance, phase: Phase, handler: (kong: never) => unknown, self: unknown): Promise<EventReply> {
    const id = this.ids.allocate((n) => this.byId.has(n));
    const event = new PluginEvent(id, instance, phase, this.onEnd, this.logger, this.onPluginError);
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

  /** Frees events idle for longer than the TTL. */
  sweep(now = Date.now()): number {
    let freed = 0;
    for (const event of this.byId.values()) {
      if (now - event.lastActive > this.ttlMs) {
        event.abandon('abandoned');
        freed++;
      }
    }
    return freed;
  }

  /** Frees every event (server shutdown). */
  clear(): void {
    for (const event of [...this.byId.values()]) event.abandon('closed');
  }
}
