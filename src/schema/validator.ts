/**
 * Validates the config Kong sends in StartInstance against the plugin's schema and applies
 * the schema's defaults. The JSON Schema comes from the plugin's Kong schema fields
 * (kong-to-json-schema.ts) and is compiled with ajv once per plugin, lazily at its first
 * StartInstance (so neither the dump nor a plugin that is never started pays for ajv), and
 * cached on the plugin.
 *
 * A config that fails gives a one-line reason naming the field and the rule
 * (`config.message: must be string`); the caller turns it into an instance that fails closed —
 * StartInstance itself never fails (docs/protocol.md, Kong versions).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { errorText, type Logger } from '../log.js';
import { fieldEntry, kongFieldsToJsonSchema, type JsonSchema } from './kong-to-json-schema.js';

/** A validation's outcome: the config with defaults applied, or why it is refused. */
export type ValidationResult = { ok: true; config: unknown } | { ok: false; message: string };

/** A plugin's compiled config validator. */
export interface ConfigValidator {
  /** The JSON Schema it checks (undefined when the plugin declares no fields). */
  readonly jsonSchema: JsonSchema | undefined;
  /** Why the schema could not be compiled; the validator then accepts every config. */
  readonly compileError: string | undefined;
  /** Validates a decoded config in place (defaults are filled in). */
  validate(config: unknown): ValidationResult;
}

/** What validation needs of a loaded plugin (src/plugins/types.ts' LoadedPlugin has it). */
export interface ValidatedPlugin {
  readonly name: string;
  /** Kong schema fields of the config record. */
  readonly schemaFields: readonly unknown[];
  /** The compiled validator, cached here at the first validation. */
  configValidator?: ConfigValidator;
}

// ajv is loaded synchronously on first use, not at import time (see ajv() below).
const lazyRequire = createRequire(__filename);

let compileCount = 0;

/** How many schemas this process compiled with ajv (for tests: once per plugin). */
export function validatorCompileCount(): number {
  return compileCount;
}

interface AjvLike {
  compile(schema: object): ValidateFunction;
}

let sharedAjv: AjvLike | undefined;

function ajv(): AjvLike {
  if (!sharedAjv) {
    // Loaded on first use: the server's start-up and the dumps never need ajv.
    const Ajv2020 = (lazyRequire('ajv/dist/2020') as { default: new (opts: object) => AjvLike }).default;
    sharedAjv = new Ajv2020({
      useDefaults: true,
      allErrors: false,
      // Kong DSL conversions produce union types and keywords beside `type` that only apply
      // to some of its members; ajv's strict mode would refuse them.
      strict: false,
      // `required` and defaults look at own properties only ("constructor" is no field).
      ownProperties: true,
      validateFormats: false,
    });
  }
  return sharedAjv;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isEmptyArray = (v: unknown): boolean => Array.isArray(v) && v.length === 0;
const isEmptyObject = (v: unknown): boolean => isObject(v) && Object.keys(v).length === 0;

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.getOwnPropertyDescriptor(obj, key)?.value;
}

function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * cjson cannot tell an empty object from an empty array: an empty map or record may arrive as
 * `[]`, an empty array as `{}`. Puts the proper empty value where the schema expects it.
 */
function normalizeRecord(value: unknown, fields: readonly unknown[]): unknown {
  if (isEmptyArray(value)) return {};
  if (!isObject(value)) return value;
  for (const entry of fields) {
    const f = fieldEntry(entry);
    if (!f || !Object.prototype.hasOwnProperty.call(value, f[0])) continue;
    const v = own(value, f[0]);
    const n = normalizeValue(v, f[1]);
    if (n !== v) put(value, f[0], n);
  }
  return value;
}

function normalizeValue(value: unknown, def: Record<string, unknown>): unknown {
  switch (def.type) {
    case 'record':
      return normalizeRecord(value, Array.isArray(def.fields) ? def.fields : []);
    case 'map':
      if (isEmptyArray(value)) return {};
      if (isObject(value) && isObject(def.values)) {
        for (const k of Object.keys(value)) {
          const v = own(value, k);
          const n = normalizeValue(v, def.values);
          if (n !== v) put(value, k, n);
        }
      }
      return value;
    case 'array':
    case 'set':
      if (isEmptyObject(value)) return [];
      if (Array.isArray(value) && isObject(def.elements)) {
        for (let i = 0; i < value.length; i++) value[i] = normalizeValue(value[i], def.elements);
      }
      return value;
    default:
      return value;
  }
}

/** `config.a.b[0]` for the JSON pointer `/a/b/0` into `data`. */
function fieldPath(data: unknown, pointer: string): string {
  let out = 'config';
  let cur: unknown = data;
  if (pointer === '') return out;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out += `[${seg}]`;
      cur = cur[Number(seg)];
    } else {
      out += /^[A-Za-z_$][\w$-]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
      cur = isObject(cur) ? own(cur, seg) : undefined;
    }
  }
  return out;
}

function child(path: string, key: unknown): string {
  const k = String(key);
  return /^[A-Za-z_$][\w$-]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

/** One line naming the field and the rule it breaks. */
export function describeError(e: ErrorObject, data: unknown): string {
  const path = fieldPath(data, e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${child(path, params.missingProperty)}: is required`;
    case 'additionalProperties':
      return `${child(path, params.additionalProperty)}: unknown field`;
    case 'type': {
      const types = String(params.type)
        .split(',')
        .filter((t) => t !== 'null');
      return `${path}: must be ${types.join(' or ')}`;
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => JSON.stringify(v));
      return `${path}: must be one of ${allowed.join(', ')}`;
    }
    default:
      return `${path}: ${e.message ?? e.keyword}`;
  }
}

/** Compiles the validator of a plugin's config fields (`Schema` export or derived). */
export function compileConfigValidator(fields: readonly unknown[]): ConfigValidator {
  if (fields.length === 0) {
    // No declared fields: nothing to check, no defaults, no ajv.
    return { jsonSchema: undefined, compileError: undefined, validate: (config) => ({ ok: true, config }) };
  }
  const jsonSchema = kongFieldsToJsonSchema(fields);
  let check: ValidateFunction | undefined;
  let compileError: string | undefined;
  try {
    compileCount++;
    check = ajv().compile(jsonSchema);
  } catch (e) {
    compileError = errorText(e);
  }
  return {
    jsonSchema,
    compileError,
    validate(config: unknown): ValidationResult {
      if (!check) return { ok: true, config };
      try {
        const normalized = normalizeRecord(config, fields);
        if (check(normalized)) return { ok: true, config: normalized };
        const first = check.errors?.[0];
        return { ok: false, message: first ? describeError(first, normalized) : 'config: invalid' };
      } catch (e) {
        // A validator bug must not break the instance: let the plugin decide.
        return { ok: true, config };
      }
    },
  };
}

/**
 * Validates `config` for `plugin`, compiling (once) and caching the plugin's validator on it.
 * A schema that cannot be compiled is reported once through `logger` and checks nothing.
 */
export function validateConfig(plugin: ValidatedPlugin, config: unknown, logger?: Logger): ValidationResult {
  let validator = plugin.configValidator;
  if (!validator) {
    validator = compileConfigValidator(plugin.schemaFields);
    plugin.configValidator = validator;
    if (validator.compileError)
      logger?.warn(
        `plugin ${plugin.name}: its config schema cannot be compiled (${validator.compileError}); configs are not validated`,
      );
  }
  return validator.validate(config);
}
