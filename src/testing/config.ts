/**
 * The configuration Kong hands to StartInstance (docs/protocol.md §4.7): the user's fields checked
 * against the plugin's schema the way the admin API checks them, defaults filled in, absent
 * optional fields as JSON `null`, plus Kong's own keys.
 */
import { randomUUID } from 'node:crypto';
import { cjsonEncode, deepCopy, isPlainObject } from './lua.js';

interface FieldDef {
  type?: string;
  required?: boolean;
  default?: unknown;
  one_of?: unknown[];
  between?: [number, number];
  len_min?: number;
  len_max?: number;
  gt?: number;
  elements?: FieldDef;
  values?: FieldDef;
  fields?: unknown[];
}

function fieldsOf(schemaFields: readonly unknown[]): [string, FieldDef][] {
  const out: [string, FieldDef][] = [];
  for (const item of schemaFields) {
    if (!isPlainObject(item)) continue;
    const keys = Object.keys(item);
    if (keys.length !== 1) continue;
    const def = item[keys[0]!];
    if (isPlainObject(def)) out.push([keys[0]!, def]);
  }
  return out;
}

function typeOk(type: string | undefined, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
    case 'set':
      return Array.isArray(v);
    case 'map':
    case 'record':
      return isPlainObject(v);
    default:
      return true;
  }
}

function checkValue(def: FieldDef, v: unknown, at: string, problems: string[]): unknown {
  if (!typeOk(def.type, v)) {
    problems.push(`${at}: expected a ${def.type}, got ${JSON.stringify(v)}`);
    return v;
  }
  if (def.one_of && !def.one_of.includes(v))
    problems.push(`${at}: expected one of ${def.one_of.map((x) => JSON.stringify(x)).join(', ')}`);
  if (def.between && typeof v === 'number' && (v < def.between[0] || v > def.between[1])) {
    problems.push(`${at}: value should be between ${def.between[0]} and ${def.between[1]}`);
  }
  if (def.gt !== undefined && typeof v === 'number' && !(v > def.gt))
    problems.push(`${at}: value must be greater than ${def.gt}`);
  const len = typeof v === 'string' || Array.isArray(v) ? v.length : undefined;
  if (len !== undefined && def.len_min !== undefined && len < def.len_min)
    problems.push(`${at}: length must be at least ${def.len_min}`);
  if (len !== undefined && def.len_max !== undefined && len > def.len_max)
    problems.push(`${at}: length must be at most ${def.len_max}`);
  if ((def.type === 'array' || def.type === 'set') && def.elements && Array.isArray(v)) {
    return v.map((x, i) => checkValue(def.elements!, x, `${at}[${i}]`, problems));
  }
  if (def.type === 'map' && def.values && isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = checkValue(def.values, x, `${at}.${k}`, problems);
    return o;
  }
  if (def.type === 'record' && def.fields && isPlainObject(v)) return fillRecord(def.fields, v, at, problems);
  return v;
}

function fillRecord(
  schemaFields: readonly unknown[],
  input: Record<string, unknown>,
  at: string,
  problems: string[],
): Record<string, unknown> {
  const fields = fieldsOf(schemaFields);
  const known = new Set(fields.map(([n]) => n));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(input)) {
    if (known.has(k)) continue;
    problems.push(`${at}.${k}: unknown field`);
    out[k] = input[k]; // kept for validateConfig: false
  }
  for (const [name, def] of fields) {
    let v = input[name];
    if (v === undefined || v === null) {
      if (def.default !== undefined) v = deepCopy(def.default);
      else if (def.type === 'record' && def.required && def.fields) v = {};
    }
    if (v === undefined || v === null) {
      if (def.required) problems.push(`${at}.${name}: required field missing`);
      out[name] = null;
      continue;
    }
    out[name] = checkValue(def, v, `${at}.${name}`, problems);
  }
  return out;
}

/**
 * The user's config checked against `schemaFields` (the plugin's `Schema` export) with
 * defaults filled in and absent optional fields set to `null`, as Kong stores it. Problems
 * are what Kong's admin API would answer 400 for. A plugin without a schema gets its config
 * unchanged.
 */
export function completeConfig(
  schemaFields: readonly unknown[],
  input: Record<string, unknown>,
): { config: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  if (schemaFields.length === 0) return { config: deepCopy(input), problems };
  return { config: fillRecord(schemaFields, input, 'config', problems), problems };
}

/** Kong's own keys in the config it sends (plugins_iterator `get_plugin_config`). */
export function kongConfigKeys(pluginName: string, pluginId: string): Record<string, unknown> {
  return {
    route_id: null,
    service_id: null,
    consumer_id: null,
    __plugin_id: pluginId,
    __ws_id: '0dc6f45b-8f8d-40d2-a504-473544ee190b',
    __key__: `plugins:${pluginName}::::0dc6f45b-8f8d-40d2-a504-473544ee190b`,
    __seq__: 1,
  };
}

/** The JSON text of StartInstance's `Config`, written the way cjson writes it (`/` as `\/`). */
export function startInstanceConfig(
  config: Record<string, unknown>,
  pluginName: string,
  pluginId: string = randomUUID(),
): string {
  return cjsonEncode({ ...config, ...kongConfigKeys(pluginName, pluginId) });
}
