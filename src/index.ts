/**
 * kong-ts-pdk: the public API for plugin authors and embedders.
 *
 * Plugin authors need the types: `Kong` (the PDK object a phase handler receives), the entity
 * types, `KongPlugin<Config>` for their class and `PluginModule` for their exports; and
 * `pluginMetrics(name)` for metrics of their own.
 */
export type {
  Consumer,
  Credential,
  ExitBody,
  HeaderMap,
  HeaderValue,
  Kong,
  KongPlugin,
  KongPluginClass,
  KongTable,
  MemoryStats,
  MultiMap,
  Phase,
  QueryArgs,
  RequestBody,
  Route,
  SerializedLog,
  Service,
  UriCaptures,
} from '../generated/index.js';
export { PHASES, PDK_FUNCTIONS, PDK_CAMEL_TO_KONG, PDK_KONG_TO_CAMEL } from '../generated/index.js';
export type {
  KongFieldDef,
  KongJsPdk,
  KongSchemaField,
  LoadablePluginModule,
  PluginModule,
  RawBodyMode,
} from './plugins/module-types.js';
export { definePlugin } from './plugins/define-plugin.js';
export { PdkError, EventEndedError } from './pdk/errors.js';
export { serializedLog } from './pdk/serialize.js';
export { PluginServer } from './server/server.js';
export { loadPluginDir, loadPlugin } from './plugins/loader.js';
export {
  DEFAULT_SERVER_OPTIONS,
  type PluginErrorPolicy,
  type PluginErrorReport,
  type ServerOptions,
} from './options.js';
export { createLogger, type LogContext, type LogFormat, type Logger, type LogLevel } from './log.js';
// Plugin-defined metrics, served on the server's /metrics (no-ops when metrics are off).
export {
  pluginMetrics,
  type MetricLabels,
  type PluginCounter,
  type PluginGauge,
  type PluginHistogram,
  type PluginHistogramSpec,
  type PluginMetricSpec,
  type PluginMetrics,
} from './metrics/plugin-metrics.js';
export type { ServerMetrics } from './metrics/server-metrics.js';
export type { EventOutcome } from './metrics/meters.js';
