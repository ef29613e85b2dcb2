/**
 * kongFieldsToJsonSchema (src/schema/kong-to-json-schema.ts): the Kong-DSL `Schema` arrays of
 * kong-js-pdk style plugins (examples/plugins, test/fixtures/plugins/echo.js) become JSON
 * Schemas; Lua `match` patterns convert when they convert exactly and are otherwise left out
 * with a `$comment`; regex ↔ Lua pattern conversions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { loadPluginDir } from '../../src/plugins/loader.js';
import {
  JSON_SCHEMA_DIALECT,
  kongFieldsToJsonSchema,
  kongSchemaToJsonSchema,
  type JsonSchema,
} from '../../src/schema/kong-to-json-schema.js';
import { luaPatternToRegex, regexToLuaPattern } from '../../src/schema/lua-pattern.js';
import { fixture, repoRoot } from '../helpers/paths.js';

test("the example plugins' Schema arrays (JS and TS) convert to JSON Schema 2020-12", async () => {
  const { plugins, failures } = await loadPluginDir(path.join(repoRoot, 'examples', 'plugins'));
  assert.deepEqual(failures, []);
  const schemas = Object.fromEntries(
    [...plugins.values()].map((p) => [p.name, kongFieldsToJsonSchema(p.schemaFields)]),
  );
  assert.deepEqual(schemas['add-header'], {
    $schema: JSON_SCHEMA_DIALECT,
    type: 'object',
    properties: {
      header: { type: ['string', 'null'], default: 'x-added-by' },
      value: { type: ['string', 'null'], default: 'kong-ts-pdk' },
    },
  });
  assert.deepEqual(schemas['api-key'], {
    $schema: JSON_SCHEMA_DIALECT,
    type: 'object',
    properties: {
      header: { type: 'string', default: 'x-api-key' },
      keys: { type: 'array', items: { type: 'string' } },
    },
    required: ['header', 'keys'],
  });
  assert.deepEqual(schemas['body-guard']!.properties, {
    max_bytes: { type: ['integer', 'null'], minimum: 1, maximum: 1073741824, default: 1048576 },
  });
  assert.deepEqual(schemas['log-summary']!.properties, { prefix: { type: ['string', 'null'] } });
  for (const s of Object.values(schemas)) new Ajv2020({ strict: false }).compile(s);
});

test('echo.js (test fixture): message is an optional string', async () => {
  const { plugins } = await loadPluginDir(fixture('plugins'));
  const echo = plugins.get('echo')!;
  assert.deepEqual(kongFieldsToJsonSchema(echo.schemaFields).properties, { message: { type: ['string', 'null'] } });
});

test("the top level allows Kong's own keys, nested records are strict, optional fields accept null", () => {
  const schema = kongFieldsToJsonSchema([
    { name: { type: 'string', required: true } },
    { opt: { type: 'record', fields: [{ a: { type: 'integer' } }] } },
  ]);
  const validate = new Ajv2020({ strict: false }).compile(schema);
  const internal = {
    __key__: 'k',
    __seq__: 3,
    __plugin_id: 'id',
    __ws_id: 'ws',
    route_id: null,
    service_id: null,
    consumer_id: null,
    plugin_instance_name: null,
    protocols: ['http'],
  };
  assert.ok(validate({ name: 'n', opt: null, ...internal }));
  assert.ok(validate({ name: 'n', opt: { a: null } }));
  assert.equal(validate({ name: null }), false, 'a required field is not nullable');
  assert.equal(validate({ name: 'n', opt: { a: 1, b: 2 } }), false);
  assert.equal(schema.additionalProperties, undefined);
  assert.equal((schema.properties as Record<string, JsonSchema>).opt!.additionalProperties, false);
});

test('every Kong validator attribute maps to its JSON Schema keyword', () => {
  const props = kongFieldsToJsonSchema([
    {
      s: {
        type: 'string',
        required: true,
        len_min: 2,
        len_max: 5,
        one_of: ['ab', 'abc'],
        description: 'a described field',
      },
    },
    { p: { type: 'string', required: true, match: '^%d+$', starts_with: 'x' } },
    { n: { type: 'number', required: true, between: [0, 1], gt: 0 } },
    { e: { type: 'string', required: true, eq: 'only', ne: 'never' } },
    { no: { type: 'integer', required: true, not_one_of: [1, 2] } },
    { a: { type: 'set', required: true, elements: { type: 'string' }, len_eq: 2, contains: 'x' } },
    {
      m: {
        type: 'map',
        required: true,
        keys: { type: 'string', match: '^x%-' },
        values: { type: 'integer' },
        len_min: 1,
      },
    },
    { u: { type: 'string', required: true, uuid: true } },
    { j: { type: 'json', required: true, json_schema: { inline: { type: 'object', required: ['k'] } } } },
    {
      nm: {
        type: 'string',
        required: true,
        not_match: '^%s',
        match_any: { patterns: ['^a', '^b'] },
        match_all: [{ pattern: 'z$' }],
        match_none: [{ pattern: 'q' }],
      },
    },
  ]).properties as Record<string, unknown>;
  assert.deepEqual(props.s, {
    type: 'string',
    minLength: 2,
    maxLength: 5,
    enum: ['ab', 'abc'],
    description: 'a described field',
  });
  assert.deepEqual(props.p, { type: 'string', allOf: [{ pattern: '^[0-9]+$' }, { pattern: '^x' }] });
  assert.deepEqual(props.n, { type: 'number', minimum: 0, maximum: 1, exclusiveMinimum: 0 });
  assert.deepEqual(props.e, { type: 'string', enum: ['only'], not: { const: 'never' } });
  assert.deepEqual(props.no, { type: 'integer', not: { enum: [1, 2] } });
  assert.deepEqual(props.a, {
    type: 'array',
    items: { type: 'string' },
    minItems: 2,
    maxItems: 2,
    contains: { const: 'x' },
  });
  assert.deepEqual(props.m, {
    type: 'object',
    propertyNames: { pattern: '^x-' },
    additionalProperties: { type: 'integer' },
    minProperties: 1,
  });
  assert.match(JSON.stringify(props.u), /\[0-9a-fA-F\]\{8\}/);
  assert.deepEqual(props.j, { type: 'object', required: ['k'] });
  assert.deepEqual(props.nm, {
    type: 'string',
    allOf: [
      { pattern: 'z$' },
      { not: { type: 'string', pattern: '^[ \\t\\n\\v\\f\\r]' } },
      { not: { type: 'string', pattern: 'q' } },
      { anyOf: [{ pattern: '^a' }, { pattern: '^b' }] },
    ],
  });
});

test('a Lua match with no exact regex equivalent is left out with a $comment', () => {
  const props = kongFieldsToJsonSchema([
    { b: { type: 'string', match: '%b()' } },
    { f: { type: 'string', match: '%f[%w]x' } },
  ]).properties as Record<string, JsonSchema>;
  assert.equal(props.b!.pattern, undefined);
  assert.match(String(props.b!.$comment), /match "%b\(\)" not converted \(%b \(balanced match\)/);
  assert.match(String(props.f!.$comment), /%f \(frontier\)/);
});

test('kongSchemaToJsonSchema takes a whole plugin schema (as in the dump)', () => {
  const s = kongSchemaToJsonSchema({
    name: 'x',
    fields: [{ consumer: { type: 'foreign' } }, { config: { type: 'record', fields: [{ a: { type: 'boolean' } }] } }],
  });
  assert.deepEqual(s.properties, { a: { type: ['boolean', 'null'] } });
  assert.throws(() => kongSchemaToJsonSchema({ name: 'x', fields: [] }), /no fields\[\]\.config record/);
});

test('Lua patterns → regexes: the safe subset converts, on ASCII input it matches the same strings', () => {
  const cases: [string, string, string[], string[]][] = [
    ['^%d+$', '^[0-9]+$', ['123'], ['12a', '']],
    ['^[%w_%-]+$', '^[0-9A-Za-z_\\-]+$', ['a_b-9'], ['a b']],
    ['%.com$', '\\.com$', ['x.com'], ['xcom']],
    ['^%a%a?$', '^[A-Za-z][A-Za-z]?$', ['a', 'ab'], ['abc', '1']],
    ['^a.-b$', '^a[\\s\\S]*?b$', ['a\nxb', 'ab'], ['ac']],
    ['^(%u)%l*$', '^(?:[A-Z])[a-z]*$', ['Word'], ['word']],
    ['[^%s]', '[^ \\t\\n\\v\\f\\r]', [' x '], ['  ']],
    ['^[]a]$', '^[\\]a]$', [']', 'a'], ['b']],
    ['a$b', 'a\\$b', ['a$b'], ['ab']],
    ['^%S+$', '^[^ \\t\\n\\v\\f\\r]+$', ['abc'], ['a c']],
  ];
  for (const [lua, regex, yes, no] of cases) {
    const r = luaPatternToRegex(lua);
    assert.deepEqual(r, { ok: true, pattern: regex }, lua);
    const re = new RegExp(regex, 'u');
    for (const s of yes) assert.ok(re.test(s), `${lua} should match ${JSON.stringify(s)}`);
    for (const s of no) assert.ok(!re.test(s), `${lua} should not match ${JSON.stringify(s)}`);
  }
  for (const [lua, reason] of [
    ['%b()', /balanced/],
    ['%f[%a]', /frontier/],
    ['(a)%1', /back-reference/],
    ['[%A]', /inside a set/],
    ['é+', /non-ASCII/],
    ['[é]', /non-ASCII/],
    ['(a', /unbalanced/],
    ['[a', /unterminated/],
    ['%z', /%z/],
  ] as const) {
    const r = luaPatternToRegex(lua);
    assert.equal(r.ok, false, lua);
    if (!r.ok) assert.match(r.reason, reason, lua);
  }
});

test('regexes → Lua patterns (for @pattern): the safe subset converts, the rest is reported', () => {
  const cases: [string, string][] = [
    ['^[A-Za-z0-9-]+$', '^[A-Za-z0-9%-]+$'],
    ['^\\d{3}-\\d{2,4}$', '^%d%d%d%-%d%d%d?%d?$'],
    ['^\\w+@\\w+\\.com$', '^[%w_]+@[%w_]+%.com$'],
    ['^a.*?b$', '^a[^\n\r]-b$'],
    ['[^\\s,]+', '[^%s%,]+'],
    ['x{2,}', 'xxx*'],
    ['^\\$\\(x\\)$', '^%$%(x%)$'],
  ];
  for (const [regex, lua] of cases) assert.deepEqual(regexToLuaPattern(regex), { ok: true, pattern: lua }, regex);
  for (const [regex, reason] of [
    ['^(a|b)$', /groups/],
    ['a|b', /alternation/],
    ['\\bword', /\\b is not converted/],
    ['a{40}', /more than 32/],
    ['[\\W]', /inside a set/],
    ['[a-', /not a valid regular expression/],
    ['é', /non-ASCII/],
  ] as const) {
    const r = regexToLuaPattern(regex);
    assert.equal(r.ok, false, regex);
    if (!r.ok) assert.match(r.reason, reason, regex);
  }
});
