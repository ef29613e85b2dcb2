/** Everything the RPC handlers share: plugins, instances, events, options. */
import { EventRegistry } from '../events/registry.js';
import { InstanceRegistry } from '../instances/registry.js';
import { createLogger, type Logger } from '../log.js';
import { kongJsPdkFallback } from '../pdk/compat.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../options.js';
import type { LoadedPlugin } from '../plugins/types.js';

/** The server's mutable state. */
export class ServerState {
  readonly options: Readonly<ServerOptions>;
  readonly logger: Logger;
  readonly instances: InstanceRegistry;
  readonly events: EventRegistry;
  /** Loaded plugins by name (replaced by SetPluginDir). */
  plugins: Map<string, LoadedPlugin>;
  pluginDir: string | undefined;

  constructor(plugins: Map<string, LoadedPlugin>, pluginDir: string | undefined, options: Partial<ServerOptions> = {}) {
    this.options = { ...DEFAULT_SERVER_OPTIONS, ...options };
    this.logger = options.logger ?? createLogger('info');
    this.instances = new InstanceRegistry(this.options.instanceIdleMs, this.logger);
    // Unknown PDK names of this server's plugins are forwarded and warned about on its own logger.
    this.events = new EventRegistry(
      this.options.eventTtlMs,
      this.logger,
      this.options.onPluginError,
      kongJsPdkFallback(this.logger),
    );
    this.plugins = plugins;
    this.pluginDir = pluginDir;
  }
}
