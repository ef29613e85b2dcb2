/** Everything the RPC handlers share: plugins, instances, events, options, meters. */
import { EventRegistry } from '../events/registry.js';
import { InstanceRegistry } from '../instances/registry.js';
import { createLogger, RepeatLimiter, type Logger } from '../log.js';
import { createServerMetrics, NO_METRICS, type ServerMeters, type ServerMetrics } from '../metrics/index.js';
import { kongJsPdkFallback } from '../pdk/compat.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../options.js';
import type { LoadedPlugin } from '../plugins/types.js';

/** The server's mutable state. */
export class ServerState {
  readonly options: Readonly<ServerOptions>;
  readonly logger: Logger;
  /** Warnings that come in floods (garbage connections), rate-limited with a count. */
  readonly warnings: RepeatLimiter;
  /** The server's metrics, or {@link NO_METRICS} when they are off. */
  readonly meters: ServerMeters;
  /** The metrics object when metrics are on (what /metrics serves). */
  readonly metrics: ServerMetrics | undefined;
  readonly instances: InstanceRegistry;
  readonly events: EventRegistry;
  /** Loaded plugins by name (replaced only by an allowed SetPluginDir). */
  plugins: Map<string, LoadedPlugin>;
  /** The directory the plugins came from (the configured one until an allowed SetPluginDir). */
  pluginDir: string | undefined;

  constructor(plugins: Map<string, LoadedPlugin>, pluginDir: string | undefined, options: Partial<ServerOptions> = {}) {
    this.options = { ...DEFAULT_SERVER_OPTIONS, ...options };
    this.logger = options.logger ?? createLogger('info');
    this.warnings = new RepeatLimiter(this.logger);
    this.metrics = this.options.metrics || this.options.metricsListen !== undefined ? createServerMetrics() : undefined;
    this.meters = this.metrics ?? NO_METRICS;
    this.instances = new InstanceRegistry(this.options.instanceIdleMs, this.logger);
    this.events = new EventRegistry({
      ttlMs: this.options.eventTtlMs,
      logger: this.logger,
      meters: this.meters,
      policy: this.options.pluginErrorPolicy,
      // Unknown PDK names of this server's plugins are forwarded and warned about on its own logger.
      unknownPdkMember: kongJsPdkFallback(this.logger),
      ...(this.options.onPluginError ? { onPluginError: this.options.onPluginError } : {}),
      ...(this.options.eventIds ? { ids: this.options.eventIds } : {}),
      ...(this.options.onPluginEnter ? { onPluginEnter: this.options.onPluginEnter } : {}),
    });
    this.plugins = plugins;
    this.pluginDir = pluginDir;
    this.metrics?.setSources({
      instancesByPlugin: () => {
        const counts = new Map<string, number>();
        for (const p of this.plugins.keys()) counts.set(p, 0);
        for (const inst of this.instances.all()) counts.set(inst.plugin.name, (counts.get(inst.plugin.name) ?? 0) + 1);
        return counts;
      },
      liveEvents: () => this.events.size,
    });
  }
}
