/** Types for writing a plugin module (the kong-js-pdk format, typed). */
import type { Kong, KongPluginClass } from '../../generated/index.js';

/**
 * How a plugin receives raw bodies (`kong.request.getRawBody`, `kong.service.response.getRawBody`).
 * `'buffer'`: a Buffer with the exact bytes on every Kong version, as the {@link Kong} type says.
 * `'kong-js-pdk'`: what kong-js-pdk hands over, so its plugins run unchanged: a string where Kong
 * sends the body as MessagePack str (Kong 2.3–2.8), a Buffer where it sends bin (Kong 3.x); see
 * {@link KongJsPdk}.
 */
export type RawBodyMode = 'buffer' | 'kong-js-pdk';

/** The raw-body modes a module may export as `RawBodies`, for the loader's check. */
export const RAW_BODY_MODES: readonly RawBodyMode[] = ['buffer', 'kong-js-pdk'];

/** A PDK function result that is a raw body: it becomes `string | Buffer` in {@link KongJsPdk}. */
type StringOnKong2<F> = F extends (...args: infer A) => Promise<infer R>
  ? [R] extends [Buffer | undefined]
    ? [Buffer] extends [R]
      ? (...args: A) => Promise<R | string>
      : F
    : F
  : F;

/** {@link Kong} with every raw-body result widened to `string | Buffer`. */
type WithStringBodies<T> = {
  readonly [K in keyof T]: T[K] extends (...args: never[]) => unknown
    ? StringOnKong2<T[K]>
    : T[K] extends object
      ? WithStringBodies<T[K]>
      : T[K];
};

/**
 * The PDK as a module without `RawBodies: 'buffer'` (a kong-js-pdk plugin) receives it: raw
 * bodies are strings on Kong 2.3–2.8 (non-UTF-8 bytes kept as escapes that go back to Kong as
 * the same bytes) and Buffers on Kong 3.x. Type a handler's parameter with it to keep
 * kong-js-pdk's behaviour under honest types.
 */
export type KongJsPdk = WithStringBodies<Kong>;

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
  /**
   * Raw bodies arrive as Buffers with the exact bytes on every Kong version, as the `Kong` type
   * says. Required because the server cannot see types: a module without it is taken for a
   * kong-js-pdk plugin and gets kong-js-pdk's strings on Kong 2.x ({@link KongJsPdk}).
   * `definePlugin` fills it in.
   */
  RawBodies: 'buffer';
}

/**
 * Any module the server loads: a {@link PluginModule}, or a kong-js-pdk module (no `RawBodies`,
 * or `'kong-js-pdk'`), whose handlers receive {@link KongJsPdk}.
 */
export type LoadablePluginModule<Config = unknown> = Omit<PluginModule<Config>, 'RawBodies'> & {
  RawBodies?: RawBodyMode;
};
