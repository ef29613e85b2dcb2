/** The typed way to write a plugin module's exports. */
import type { PluginModule } from './module-types.js';

/**
 * Returns the module with `RawBodies: 'buffer'` added, so the plugin's handlers receive what
 * the `Kong` type promises on every Kong version (raw bodies as Buffers), and checks its
 * fields against the config type of the plugin class:
 *
 * ```ts
 * module.exports = definePlugin({ Plugin: BodyGuard, Version: '1.0.0', Priority: 900 });
 * ```
 */
export function definePlugin<Config>(module: Omit<PluginModule<Config>, 'RawBodies'>): PluginModule<Config> {
  return { ...module, RawBodies: 'buffer' };
}
