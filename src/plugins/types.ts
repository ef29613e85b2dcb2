/** What a loaded plugin is to the server. */
import type { Phase } from '../../generated/index.js';
import type { ConfigValidator } from '../schema/validator.js';
import type { RawBodyMode } from './module-types.js';

/** A plugin's class: `new Plugin(config)`. */
export type PluginClass = new (config: unknown) => object;

/** The exports of a plugin module in kong-js-pdk's format. */
export interface PluginModuleExports {
  Plugin: PluginClass;
  Name?: string;
  Version?: string;
  Priority?: number;
  Schema?: unknown[];
  /** The oldest Kong the plugin targets (a kong-ts-pdk extension; checked at dump time). */
  MinKongVersion?: string;
  /** How its handlers receive raw bodies (a kong-ts-pdk extension; absent: as kong-js-pdk). */
  RawBodies?: unknown;
}

/** A plugin the server can start instances of. */
export interface LoadedPlugin {
  /** Lower-cased `Name` export or file name. */
  readonly name: string;
  /** The file or directory it was loaded from. */
  readonly path: string;
  /** The module file itself (`path`, or a directory's main file). */
  readonly entry: string;
  /** Its `MinKongVersion` export, if any. */
  readonly minKongVersion: string | undefined;
  readonly version: string | undefined;
  readonly priority: number;
  /** How its handlers receive raw bodies: from its `RawBodies` export, else as kong-js-pdk. */
  readonly rawBodies: RawBodyMode;
  /** The phases its class implements, in Kong's order. */
  readonly phases: readonly Phase[];
  /** The `Schema` export: Kong schema fields of the plugin's config record. */
  readonly schemaFields: readonly unknown[];
  readonly Plugin: PluginClass;
  /** Modification time of the file, seconds since the epoch. */
  readonly modTime: number;
  /** When it was loaded, seconds since the epoch. */
  readonly loadTime: number;
  /** Times of its last StartInstance / CloseInstance (seconds, 0 = never). */
  lastStartInstance: number;
  lastCloseInstance: number;
  /** Its config validator, compiled from `schemaFields` at the first StartInstance (src/schema/validator.ts). */
  configValidator?: ConfigValidator;
}
