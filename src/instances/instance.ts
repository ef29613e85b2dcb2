/** One plugin instance: a plugin's object built for one configuration. */
import type { InstanceInfo } from '../../generated/index.js';
import type { LoadedPlugin } from '../plugins/types.js';

/** A live instance. `broken` holds why it cannot run (it then fails closed). */
export class PluginInstance {
  /** Events of this instance that have not ended; it never expires while any run. */
  runningEvents = 0;
  /** Last HandleEvent or event end, ms since the epoch. */
  lastUsed: number;
  /** Set once the reason it is broken has been logged. */
  brokenLogged = false;

  constructor(
    readonly id: number,
    readonly plugin: LoadedPlugin,
    /** The decoded configuration (what the plugin's constructor received). */
    readonly config: unknown,
    /** The plugin's object, or undefined when broken. */
    readonly object: Record<string, unknown> | undefined,
    readonly broken: string | undefined,
    readonly startTime: number,
  ) {
    this.lastUsed = Date.now();
  }

  /** The status Kong and tools read. */
  info(): InstanceInfo {
    return { Name: this.plugin.name, Id: this.id, Config: this.config, StartTime: this.startTime };
  }
}
