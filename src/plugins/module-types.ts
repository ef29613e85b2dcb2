/** Types for writing a plugin module (the kong-js-pdk format, typed). */
import type { KongPluginClass } from '../../generated/index.js';

/** A field definition of Kong's schema DSL (kong/db/schema/metaschema.lua). */
export interface KongFieldDef {
  type:
    'string' | 'number' | 'integer' | 'boolean' | 'array' | 'set' | 'map' | 'record' | 'json' | 'foreign' | 'function';
  required?: boolean;
  default?: unknown;
  description?: string;
  one_of?: readonly (string | number)[];
  between?: readonly [number, number];
  match?: string;
  len_min?: number;
  len_max?: number;
  elements?: KongFieldDef;
  keys?: KongFieldDef;
  values?: KongFieldDef;
  fields?: readonly KongSchemaField[];
  /** Any other attribute MetaSubSchema accepts. */
  [attribute: string]: unknown;
}

/** One entry of a schema's `fields`: a map with exactly one key, the field name. */
export type KongSchemaField = Record<string, KongFieldDef>;

/** What a plugin module exports (`module.exports = { Plugin, Version, Priority, Schema }`). */
export interface PluginModule<Config = unknown> {
  Plugin: KongPluginClass<Config>;
  /** The plugin's name (default: the file name), lower-cased by the server. */
  Name?: string;
  /** One to three numeric parts: Kong 3.x refuses a plugin without it. */
  Version: string;
  Priority: number;
  /** The config record's fields in Kong's schema DSL (derived from `Config` when omitted in a .ts plugin). */
  Schema?: readonly KongSchemaField[];
  /** The oldest Kong the plugin targets: the dump warns about PDK calls that Kong lacks. */
  MinKongVersion?: string;
}
