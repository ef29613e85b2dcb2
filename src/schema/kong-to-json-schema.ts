/**
 * Converts a plugin's Kong schema (the `fields` of its config record, in Kong's DSL as
 * kong-js-pdk plugins export it) into a JSON Schema (draft 2020-12) for the config object Kong
 * sends in StartInstance. Runtime code: no TypeScript compiler, no ajv.
 *
 * What the JSON Schema says about Kong's config object:
 *
 * - **Top level open, nested records strict.** Kong adds its own keys to the config it sends
 *   (`__key__`, `__seq__`, `__plugin_id`, `__ws_id`, `route_id`, `service_id`, `consumer_id`,
 *   `plugin_instance_name`, … — the set depends on Kong's version, see docs/protocol.md §4.7), so
 *   the top level allows unknown keys instead of stripping a list that the next Kong version
 *   would outdate; plugins keep seeing the config kong-js-pdk would hand them. Kong itself has
 *   already refused unknown user fields, so nothing is lost. Nested records are strict
 *   (`additionalProperties: false`), as in Kong.
 * - **Optional means nullable.** Kong encodes an unset optional field as JSON `null`, so every
 *   field without `required: true` also accepts `null`. Required fields never do.
 * - **Empty tables.** cjson may encode an empty map or record as `[]` (and an empty array as
 *   `{}`); the validator normalises those before checking (validator.ts), so the schema only
 *   speaks of the proper JSON type.
 * - Validators: `one_of` → `enum`, `not_one_of` → `not.enum`, `eq`/`ne` → `enum`/`not.const`,
 *   `between` → `minimum`/`maximum`, `gt` → `exclusiveMinimum`, `len_min`/`len_max`/`len_eq`
 *   → `minLength`/`minItems`/`minProperties` (and max), `starts_with`, `uuid`, `match`,
 *   `match_all`, `match_any`, `not_match`, `match_none` → `pattern`s, `contains` → `contains`,
 *   `default` and `description` copied. `match` is a Lua pattern: it becomes a `pattern` only
 *   when it converts exactly (lua-pattern.ts); otherwise it is left out and a `$comment` says
 *   why. `is_regex`, `timestamp`, `mutually_exclusive_subsets`, `entity_checks` and
 *   `custom_validator` are not checked (Kong has checked them before the config arrives).
 * - `json` fields use their `json_schema.inline` schema; `foreign`/`function` accept anything.
 */
import { luaPatternToRegex } from './lua-pattern.js';

/** A JSON Schema object. */
export type JsonSchema = { [keyword: string]: unknown };

/** The JSON Schema dialect emitted. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Keys Kong adds to the config it sends (versions 2.x–3.x). Informative: they are not
 * stripped, the top level of the schema simply allows unknown keys.
 */
export const KONG_INTERNAL_CONFIG_KEYS: readonly string[] = [
  '__key__',
  '__seq__',
  '__plugin_id',
  '__ws_id',
  'route_id',
  'service_id',
  'consumer_id',
  'consumer_group_id',
  'plugin_instance_name',
  'protocols',
];

/** Conversion options. */
export interface KongToJsonSchemaOptions {
  /**
   * Called with each field's Kong definition and the JSON Schema made for it (before it is
   * made nullable); may adjust the schema. Authoring uses it to put back exact regexes.
   */
  onField?(def: Readonly<Record<string, unknown>>, schema: JsonSchema, path: string): void;
}

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets a key as an own data property (a field may be named "__proto__"). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function copy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** The name and definition of one `fields` entry (`{<name>: <def>}`), or undefined. */
export function fieldEntry(entry: unknown): [string, Record<string, unknown>] | undefined {
  if (!isObject(entry)) return undefined;
  const keys = Object.keys(entry);
  if (keys.length !== 1) return undefined;
  const def = entry[keys[0]!];
  return isObject(def) ? [keys[0]!, def] : undefined;
}

/** The JSON Schema of a Kong config record given its `fields` (the plugin's `Schema` export). */
export function kongFieldsToJsonSchema(fields: readonly unknown[], options: KongToJsonSchemaOptions = {}): JsonSchema {
  return { $schema: JSON_SCHEMA_DIALECT, ...recordSchema(fields, 'config', options, false) };
}

/** The config fields of a whole Kong plugin schema (`{name, fields: [{config: {type: "record", fields}}]}`). */
export function configFieldsOf(schema: unknown): unknown[] | undefined {
  if (!isObject(schema) || !Array.isArray(schema.fields)) return undefined;
  for (const entry of schema.fields) {
    const f = fieldEntry(entry);
    if (f && f[0] === 'config' && Array.isArray(f[1].fields)) return f[1].fields as unknown[];
  }
  return undefined;
}

/** The JSON Schema of the config record of a whole Kong plugin schema. */
export function kongSchemaToJsonSchema(schema: unknown, options: KongToJsonSchemaOptions = {}): JsonSchema {
  const fields = configFieldsOf(schema);
  if (!fields) throw new Error('not a Kong plugin schema: no fields[].config record with fields');
  return kongFieldsToJsonSchema(fields, options);
}

function recordSchema(fields: unknown, path: string, options: KongToJsonSchemaOptions, strict: boolean): JsonSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const entry of Array.isArray(fields) ? fields : []) {
    const f = fieldEntry(entry);
    if (!f) continue; // checkKongSchema reports malformed entries
    const [name, def] = f;
    const schema = fieldSchema(def, `${path}.${name}`, options);
    if (def.required === true) required.push(name);
    else allowNull(schema);
    put(properties, name, schema);
  }
  const s: JsonSchema = { type: 'object', properties };
  if (required.length) s.required = required;
  if (strict) s.additionalProperties = false;
  return s;
}

/** Makes a field's schema accept `null` (Kong's encoding of an unset optional field). */
function allowNull(s: JsonSchema): void {
  if (typeof s.type === 'string') s.type = [s.type, 'null'];
  else if (Array.isArray(s.type) && !s.type.includes('null')) s.type = [...s.type, 'null'];
  if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
  if (
    s.type === undefined &&
    s.anyOf === undefined &&
    Object.keys(s).some((k) => k !== 'description' && k !== 'default' && k !== '$comment')
  ) {
    // A json field's inline schema: null or that schema.
    const inner = { ...s };
    for (const k of Object.keys(s)) delete s[k];
    if (inner.description !== undefined) s.description = inner.description;
    if (inner.default !== undefined) s.default = inner.default;
    delete inner.description;
    delete inner.default;
    s.anyOf = [{ type: 'null' }, inner];
  }
}

function fieldSchema(def: unknown, path: string, options: KongToJsonSchemaOptions): JsonSchema {
  if (!isObject(def)) return { $comment: 'not a field definition' };
  const s: JsonSchema = {};
  const comments: string[] = [];
  const allOf: JsonSchema[] = [];
  const type = def.type;
  switch (type) {
    case 'string':
      s.type = 'string';
      lengths(def, s, 'Length');
      stringPatterns(def, allOf, comments);
      break;
    case 'number':
    case 'integer':
      s.type = type;
      if (Array.isArray(def.between) && def.between.length === 2) {
        const [min, max] = def.between as unknown[];
        if (typeof min === 'number') s.minimum = min;
        if (typeof max === 'number') s.maximum = max;
      }
      if (typeof def.gt === 'number') s.exclusiveMinimum = def.gt;
      break;
    case 'boolean':
      s.type = 'boolean';
      break;
    case 'array':
    case 'set':
      s.type = 'array';
      s.items = fieldSchema(def.elements, `${path}[]`, options);
      lengths(def, s, 'Items');
      if (def.contains !== undefined) s.contains = { const: copy(def.contains) };
      break;
    case 'map': {
      s.type = 'object';
      if (isObject(def.keys) && def.keys.type === 'string') {
        const keys = fieldSchema(def.keys, `${path}.<key>`, options);
        delete keys.type;
        delete keys.default;
        delete keys.description;
        if (Object.keys(keys).length) s.propertyNames = keys;
      }
      s.additionalProperties = fieldSchema(def.values, `${path}.<value>`, options);
      lengths(def, s, 'Properties');
      break;
    }
    case 'record':
      Object.assign(s, recordSchema(def.fields, path, options, true));
      if (def.entity_checks !== undefined) comments.push('entity_checks are not checked');
      break;
    case 'json': {
      const js = def.json_schema;
      if (isObject(js) && isObject(js.inline)) {
        const inline = copy(js.inline);
        delete inline.$schema;
        Object.assign(s, inline);
      } else {
        comments.push('json field without an inline json_schema: not checked');
      }
      break;
    }
    default:
      comments.push(`type ${JSON.stringify(type)} is not checked`);
  }
  if (Array.isArray(def.one_of)) s.enum = copy(def.one_of);
  if (def.eq !== undefined) s.enum = [copy(def.eq)];
  if (def.ne !== undefined) allOf.push({ not: { const: copy(def.ne) } });
  if (Array.isArray(def.not_one_of)) allOf.push({ not: { enum: copy(def.not_one_of) } });
  for (const k of ['is_regex', 'timestamp', 'mutually_exclusive_subsets', 'custom_validator']) {
    if (def[k] !== undefined) comments.push(`${k} is not checked`);
  }
  if (allOf.length === 1 && Object.keys(allOf[0]!).every((k) => !(k in s))) Object.assign(s, allOf[0]);
  else if (allOf.length) s.allOf = allOf;
  if (def.default !== undefined) s.default = copy(def.default);
  if (typeof def.description === 'string') s.description = def.description;
  if (comments.length) s.$comment = comments.join('; ');
  options.onField?.(def, s, path);
  return s;
}

function lengths(def: Record<string, unknown>, s: JsonSchema, unit: 'Length' | 'Items' | 'Properties'): void {
  if (typeof def.len_eq === 'number') {
    s[`min${unit}`] = def.len_eq;
    s[`max${unit}`] = def.len_eq;
  }
  if (typeof def.len_min === 'number') s[`min${unit}`] = def.len_min;
  if (typeof def.len_max === 'number') s[`max${unit}`] = def.len_max;
}

function stringPatterns(def: Record<string, unknown>, allOf: JsonSchema[], comments: string[]): void {
  // Every pattern keyword only applies to strings, so null still passes where it may.
  const lua = (p: unknown, attribute: string): string | undefined => {
    if (typeof p !== 'string') return undefined;
    const r = luaPatternToRegex(p);
    if (r.ok) return r.pattern;
    // Not safely convertible: Kong has checked it already; say so instead of guessing.
    comments.push(`${attribute} ${JSON.stringify(p)} not converted (${r.reason})`);
    return undefined;
  };
  const must = (p: string | undefined): void => {
    if (p !== undefined) allOf.push({ pattern: p });
  };
  const mustNot = (p: string | undefined): void => {
    if (p !== undefined) allOf.push({ not: { type: 'string', pattern: p } });
  };
  must(lua(def.match, 'match'));
  if (typeof def.starts_with === 'string') must(`^${escapeRegex(def.starts_with)}`);
  if (def.uuid === true) must(UUID_PATTERN);
  if (Array.isArray(def.match_all))
    for (const m of def.match_all) must(lua(isObject(m) ? m.pattern : undefined, 'match_all'));
  mustNot(lua(def.not_match, 'not_match'));
  if (Array.isArray(def.match_none))
    for (const m of def.match_none) mustNot(lua(isObject(m) ? m.pattern : undefined, 'match_none'));
  if (isObject(def.match_any) && Array.isArray(def.match_any.patterns)) {
    const all = def.match_any.patterns.map((p) => lua(p, 'match_any'));
    // One pattern left out makes the alternative unknown: check none rather than too much.
    if (all.length && all.every((p) => p !== undefined)) allOf.push({ anyOf: all.map((p) => ({ pattern: p })) });
  }
}
