/**
 * The config validator (src/schema/validator.ts) on its own: defaults applied, one message
 * naming field and rule, Kong's encodings (null for unset optional fields, `[]` for an empty
 * map or record, `{}` for an empty array, its own top-level keys) accepted, one ajv compile
 * per plugin, ajv not loaded until a schema is compiled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfigValidator, validateConfig, validatorCompileCount } from '../../src/schema/validator.js';
import type { LoadedPlugin } from '../../src/plugins/types.js';

const FIELDS = [
  { message: { type: 'string' } },
  { greeting: { type: 'string', default: 'hello' } },
  { mode: { type: 'string', one_of: ['fast', 'safe'], default: 'safe' } },
  { limits: { type: 'record', fields: [{ burst: { type: 'integer', default: 5, between: [1, 100] } }] } },
  { headers: { type: 'map', keys: { type: 'string' }, values: { type: 'string' } } },
  { names: { type: 'array', elements: { type: 'string' }, len_max: 2 } },
  { key: { type: 'string', required: true, match: '^k%d+$' } },
];

const ok = (config: unknown) => {
  const r = compileConfigValidator(FIELDS).validate(config);
  assert.ok(r.ok, `refused: ${JSON.stringify(r)}`);
  return r.config as Record<string, unknown>;
};
const refused = (config: unknown): string => {
  const r = compileConfigValidator(FIELDS).validate(config);
  assert.equal(r.ok, false, `accepted ${JSON.stringify(config)}`);
  return (r as { message: string }).message;
};

test('ajv is not loaded before a schema is compiled', () => {
  assert.ok(!Object.keys(require.cache).some((k) => k.includes(`${'node_modules'}/ajv/`)));
});

test('defaults are applied, nested ones too, and the validated object is the one returned', () => {
  const input = { key: 'k1', limits: {} };
  const out = ok(input);
  assert.equal(out, input);
  assert.deepEqual(out, { key: 'k1', greeting: 'hello', mode: 'safe', limits: { burst: 5 } });
});

test('a refused config gives one message naming the field and the rule', () => {
  assert.equal(refused({ key: 'k1', message: 5 }), 'config.message: must be string');
  assert.equal(refused({ message: 'x' }), 'config.key: is required');
  assert.equal(refused({ key: 'k1', mode: 'slow' }), 'config.mode: must be one of "fast", "safe"');
  assert.equal(refused({ key: 'k1', limits: { burst: 0 } }), 'config.limits.burst: must be >= 1');
  assert.equal(refused({ key: 'k1', limits: { burst: 2, extra: true } }), 'config.limits.extra: unknown field');
  assert.equal(refused({ key: 'k1', names: ['a', 5] }), 'config.names[1]: must be string');
  assert.equal(refused({ key: 'k1', names: ['a', 'b', 'c'] }), 'config.names: must NOT have more than 2 items');
  assert.equal(refused({ key: 'x1' }), 'config.key: must match pattern "^k[0-9]+$"');
  assert.equal(refused({ key: 'k1', headers: { 'x-a': 1 } }), 'config.headers.x-a: must be string');
  assert.equal(refused(null), 'config: must be object');
});

test("Kong's encodings: null for unset optional fields, [] for an empty map or record, {} for an empty array, its own keys", () => {
  const out = ok({
    key: 'k1',
    message: null,
    headers: [],
    limits: [],
    names: {},
    __key__: 'plugins:x::::',
    __seq__: 1,
    __plugin_id: '7a3c2b9e-1f7e-4c1e-9d1a-2a6f0e4f7b11',
    __ws_id: '0dc6f45b-8f8d-40d2-a504-473544ee190b',
    route_id: null,
    service_id: null,
    consumer_id: null,
    plugin_instance_name: null,
    protocols: ['http', 'https'],
  });
  assert.deepEqual(out.headers, {});
  assert.deepEqual(out.limits, { burst: 5 });
  assert.deepEqual(out.names, []);
  assert.equal(out.message, null);
  assert.equal(out.__seq__, 1);
});

test('a "__proto__" key stays inert data through normalisation and validation', () => {
  const config = JSON.parse('{"key":"k1","__proto__":{"polluted":1},"limits":{"__proto__":[]}}');
  const r = compileConfigValidator(FIELDS).validate(config);
  // Nested records are strict: the own "__proto__" key is an unknown field there.
  assert.deepEqual(r, { ok: false, message: 'config.limits.__proto__: unknown field' });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(config), Object.prototype);
});

test('validateConfig compiles once per plugin and caches the validator on it', () => {
  const plugin = { name: 'p', schemaFields: FIELDS } as unknown as LoadedPlugin;
  const other = { name: 'q', schemaFields: [{ a: { type: 'string' } }] } as unknown as LoadedPlugin;
  const before = validatorCompileCount();
  for (let i = 0; i < 5; i++) {
    assert.ok(validateConfig(plugin, { key: 'k1' }).ok);
    assert.ok(!validateConfig(other, { a: 1 }).ok);
  }
  assert.equal(validatorCompileCount() - before, 2);
  assert.ok(plugin.configValidator?.jsonSchema);
});

test('a plugin with no fields is not compiled and accepts anything', () => {
  const before = validatorCompileCount();
  const v = compileConfigValidator([]);
  assert.deepEqual(v.validate({ anything: [1] }), { ok: true, config: { anything: [1] } });
  assert.equal(validatorCompileCount(), before);
});
