/**
 * Checks a plugin's config schema against the rules Kong's `MetaSchema.MetaSubSchema` applies
 * when it loads an external plugin (kong/db/schema/metaschema.lua), so that a schema Kong
 * would refuse is reported by the dump, not by a failed Kong start.
 */

const FIELD_TYPES = new Set([
  'array',
  'set',
  'string',
  'number',
  'boolean',
  'integer',
  'foreign',
  'map',
  'record',
  'function',
  'json',
]);

// Validator attributes and the field types they apply to (Kong's attribute_types table).
const VALIDATOR_TYPES: Record<string, readonly string[]> = {
  between: ['integer', 'number'],
  eq: ['integer', 'number', 'string', 'boolean', 'array', 'set', 'map', 'record'],
  ne: ['integer', 'number', 'string', 'boolean'],
  gt: ['integer', 'number'],
  len_eq: ['string', 'array', 'set', 'map'],
  len_min: ['string', 'array', 'set', 'map'],
  len_max: ['string', 'array', 'set', 'map'],
  match: ['string'],
  not_match: ['string'],
  match_all: ['string'],
  match_none: ['string'],
  match_any: ['string'],
  starts_with: ['string'],
  one_of: ['string', 'number', 'integer'],
  not_one_of: ['string', 'number', 'integer'],
  contains: ['array', 'set'],
  is_regex: ['string'],
  timestamp: ['number', 'integer'],
  uuid: ['string'],
  mutually_exclusive_subsets: ['set'],
};

const OTHER_ATTRIBUTES = new Set([
  'type',
  'required',
  'default',
  'reference',
  'description',
  'examples',
  'auto',
  'unique',
  'unique_across_ws',
  'on_delete',
  'abstract',
  'generate_admin_api',
  'immutable',
  'err',
  'encrypted',
  'referenceable',
  'json_schema',
  'transient',
  'deprecation',
  'elements',
  'keys',
  'values',
  'fields',
  'len_min',
  'entity_checks',
  'shorthand_fields',
  'legacy',
  'nilable',
  'indexed',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkField(def: unknown, at: string, problems: string[]): void {
  if (!isObject(def)) {
    problems.push(`${at}: a field definition must be a map`);
    return;
  }
  const type = def.type;
  if (typeof type !== 'string' || !FIELD_TYPES.has(type)) {
    problems.push(`${at}.type: must be one of ${[...FIELD_TYPES].join(', ')} (got ${JSON.stringify(type)})`);
    return;
  }
  for (const [key, value] of Object.entries(def)) {
    if (value === null) problems.push(`${at}.${key}: null becomes cjson.null in Kong; leave the key out`);
    const allowed = VALIDATOR_TYPES[key];
    if (allowed) {
      if (!allowed.includes(type)) problems.push(`${at}.${key}: not allowed on a ${type} field`);
      if (
        key === 'between' &&
        !(Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === 'number'))
      ) {
        problems.push(`${at}.between: must be two numbers`);
      }
      if ((key === 'one_of' || key === 'not_one_of') && !Array.isArray(value))
        problems.push(`${at}.${key}: must be an array`);
    } else if (!OTHER_ATTRIBUTES.has(key) && key !== 'custom_validator') {
      problems.push(`${at}.${key}: unknown attribute`);
    }
  }
  if ('custom_validator' in def) problems.push(`${at}.custom_validator: needs a Lua function, which JSON cannot carry`);
  if (typeof def.description === 'string' && (def.description.length < 10 || def.description.length > 500)) {
    problems.push(`${at}.description: must be 10 to 500 characters`);
  }
  if ((type === 'array' || type === 'set') && !('elements' in def)) problems.push(`${at}: a ${type} needs 'elements'`);
  if (type === 'map' && !('keys' in def && 'values' in def)) problems.push(`${at}: a map needs 'keys' and 'values'`);
  if (type === 'record' && !('fields' in def)) problems.push(`${at}: a record needs 'fields'`);
  if (type === 'json' && !('json_schema' in def)) problems.push(`${at}: a json field needs 'json_schema'`);
  if ('elements' in def) checkField(def.elements, `${at}.elements`, problems);
  if ('keys' in def) checkField(def.keys, `${at}.keys`, problems);
  if ('values' in def) checkField(def.values, `${at}.values`, problems);
  if ('fields' in def) checkFields(def.fields, `${at}.fields`, problems);
}

function checkFields(fields: unknown, at: string, problems: string[]): void {
  if (!Array.isArray(fields)) {
    problems.push(`${at}: must be an array`);
    return;
  }
  fields.forEach((item, i) => {
    const keys = isObject(item) ? Object.keys(item) : [];
    if (keys.length !== 1) {
      problems.push(`${at}[${i}]: each field must be a map with exactly one key (the field name)`);
      return;
    }
    checkField((item as Record<string, unknown>)[keys[0]!], `${at}[${i}].${keys[0]!}`, problems);
  });
}

/** Problems Kong's MetaSubSchema would report for a plugin schema (empty when Kong accepts it). */
export function checkKongSchema(schema: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(schema)) return ['schema: must be a map'];
  if (typeof schema.name !== 'string' || !schema.name) problems.push('schema.name: required string');
  if (!('fields' in schema)) problems.push('schema.fields: required');
  else checkFields(schema.fields, 'schema.fields', problems);
  for (const key of Object.keys(schema)) {
    if (!['name', 'fields', 'entity_checks', 'shorthand_fields', 'transformations'].includes(key))
      problems.push(`schema.${key}: unknown key`);
  }
  return problems;
}
