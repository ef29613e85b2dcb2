/**
 * Live instances by id. Kong forgets instances without closing them (resets, worker events,
 * `serverPid` changes), so idle ones expire; one with an event in flight never does, and a
 * closed one stays reachable by its running events until they end.
 */
import { IdAllocator } from '../ids.js';
import type { Logger } from '../log.js';
import type { LoadedPlugin } from '../plugins/types.js';
import { PluginInstance } from './instance.js';

/** The instance table. */
export class InstanceRegistry {
  private readonly byId = new Map<number, PluginInstance>();
  private readonly ids = new IdAllocator();
  /** Set by {@link reserveId}: the id and start time the next {@link add} uses. */
  private reserved: { id: number; startTime: number } | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly logger: Logger,
  ) {}

  /** Registers an instance under a fresh id; the id is valid as soon as this returns. */
  add(
    plugin: LoadedPlugin,
    config: unknown,
    object: Record<string, unknown> | undefined,
    broken: string | undefined,
  ): PluginInstance {
    const r = this.reserved;
    this.reserved = undefined;
    const id = r?.id ?? this.ids.allocate((n) => this.byId.has(n));
    const inst = new PluginInstance(id, plugin, config, object, broken, r?.startTime ?? Date.now() / 1000);
    this.byId.set(id, inst);
    return inst;
  }

  /**
   * Makes the next {@link add} use `id` and `startTime` (seconds) instead of fresh ones: a worker
   * of a multi-process server creates every instance under the id its primary allocated.
   */
  reserveId(id: number, startTime: number): void {
    this.reserved = { id, startTime };
  }

  /** The instance with this id, if live. */
  get(id: unknown): PluginInstance | undefined {
    return typeof id === 'number' ? this.byId.get(id) : undefined;
  }

  /** Forgets an instance; its running events keep their reference and finish. */
  remove(id: number): PluginInstance | undefined {
    const inst = this.byId.get(id);
    if (inst) this.byId.delete(id);
    return inst;
  }

  /** Live instances, in creation order. */
  all(): IterableIterator<PluginInstance> {
    return this.byId.values();
  }

  /** How many are live. */
  get size(): number {
    return this.byId.size;
  }

  /** Forgets instances idle for longer than the idle time with no event running. */
  sweep(now = Date.now()): number {
    let removed = 0;
    for (const [id, inst] of this.byId) {
      if (inst.runningEvents === 0 && now - inst.lastUsed > this.idleMs) {
        this.byId.delete(id);
        removed++;
        this.logger.info(
          `instance ${id} of ${inst.plugin.name} expired after ${Math.round((now - inst.lastUsed) / 1000)} s idle`,
        );
      }
    }
    return removed;
  }
}
