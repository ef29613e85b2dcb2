/**
 * kong-ts-pdk: the public API for plugin authors and embedders.
 *
 * Plugin authors need the types: `Kong` (the PDK object a phase handler receives), the entity
 * types, `KongPlugin<Config>` for their class and `PluginModule` for their exports.
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
export { DEFAULT_SERVER_OPTIONS, type PluginErrorReport, type ServerOptions } from './options.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
