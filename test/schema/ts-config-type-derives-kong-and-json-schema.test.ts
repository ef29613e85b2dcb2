/**
 * deriveSchemas (src/authoring/schema-derivation.ts): a config type using every supported
 * construct and tag gives the golden Kong schema and JSON Schema (UPDATE_GOLDEN=1 rewrites
 * them); the Kong schema passes MetaSubSchema's rules; the config type is found by the
 * documented rules; unsupported types and bad tags are errors naming the property path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { deriveSchemas, SchemaDerivationError, UNBOUNDED } from '../../src/authoring/schema-derivation.js';
import { checkKongSchema } from '../../src/plugins/kong-schema.js';
import { fixture } from '../helpers/paths.js';

const EVERY_TAG = fixture('schema', 'every-tag.ts');

function golden(name: string, actual: unknown): void {
  const file = fixture('schema', 'golden', name);
  const text = JSON.stringify(actual, null, 2) + '\n';
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) {
    fs.writeFileSync(file, text);
    if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`${file} did not exist and was written; check it and run again`);
    return;
  }
  assert.deepEqual(
    actual,
    JSON.parse(fs.readFileSync(file, 'utf8')),
    `${name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)`,
  );
}

const derived = deriveSchemas(EVERY_TAG);

test('every supported construct and tag: the Kong schema and the JSON Schema match their golden files', () => {
  assert.equal(derived.configTypeName, 'EveryTagConfig');
  assert.equal(derived.kong.name, 'every-tag', 'the Name in the module object');
  golden('every-tag.kong.json', derived.kong);
  golden('every-tag.json-schema.json', derived.jsonSchema);
});

test('the derived Kong schema passes checkKongSchema (MetaSubSchema rules)', () => {
  assert.deepEqual(checkKongSchema(derived.kong), []);
});

test('tags map as documented: between filled with MAX_SAFE_INTEGER, Lua match, descriptions within 10–500 characters', () => {
  const f = Object.assign({}, ...derived.kong.fields[0].config.fields) as Record<string, Record<string, unknown>>;
  const props = derived.jsonSchema.properties as Record<string, Record<string, unknown>>;
  // @minimum only: Kong gets the far end, the JSON Schema only what was written.
  assert.deepEqual(f.rate!.between, [0, UNBOUNDED]);
  assert.equal(props.rate!.minimum, 0);
  assert.equal(props.rate!.maximum, undefined);
  assert.deepEqual(f.sample!.between, [0, 1]);
  // @pattern: a Lua pattern for Kong, the exact regex for JSON Schema.
  assert.equal(f.header!.match, '^[A-Za-z0-9%-]+$');
  assert.equal(props.header!.pattern, '^[A-Za-z0-9-]+$');
  // A regex with no Lua equivalent: no match, a warning, the pattern kept.
  assert.equal(f.mode!.match, undefined);
  assert.equal(props.mode!.pattern, '^(a|b)+$');
  assert.ok(
    derived.warnings.some((w) => w.startsWith('config.mode: @pattern ^(a|b)+$ has no exact Lua pattern')),
    JSON.stringify(derived.warnings),
  );
  // @integer, enums, literal unions, optionality.
  assert.equal(f.retries!.type, 'integer');
  assert.deepEqual(f.retries!.one_of, [1, 2, 3]);
  assert.deepEqual(f.scheme!.one_of, ['http', 'https']);
  assert.equal(f.note!.required, undefined);
  assert.equal(f.mode!.required, undefined, 'T | null is optional');
  assert.equal(f.header!.required, true);
  assert.deepEqual(f.weights!.values, { type: 'integer' });
  assert.deepEqual(f.probe_ports!.elements, { type: 'integer' });
  // Descriptions: from @description or the JSDoc text.
  assert.equal(f.keys!.description, 'Accepted API keys (at least one).');
});

test('the derived JSON Schema compiles with ajv and accepts a config Kong would send', () => {
  const ajv = new Ajv2020({ strict: false, useDefaults: true });
  const validate = ajv.compile(derived.jsonSchema);
  const config: Record<string, unknown> = {
    keys: ['k1'],
    sample: 0.1,
    enabled: true,
    level: 'warn',
    retries: 2,
    headers: {},
    upstream: { host: 'example.com', port: 8443, scheme: null },
    tags: [],
    scheme: 'https',
    note: null,
    rate: null,
    __key__: 'plugins:every-tag::::',
    route_id: null,
  };
  assert.ok(validate(config), JSON.stringify(validate.errors));
  assert.equal(config.header, 'x-api-key', 'default applied');
  assert.equal(validate({ ...config, upstream: { host: 'h', port: 1, extra: 1 } }), false, 'nested records are strict');
  assert.equal(validate({ ...config, retries: 4 }), false);
});

for (const [file, typeName, fieldNames] of [
  ['implements.ts', 'Settings', ['greeting']],
  ['plugin-module.ts', '{ limit: number }', ['limit']],
  ['fallback.ts', 'LimitsConfig', ['per_minute']],
] as const) {
  test(`the config type is found: discovery/${file} → ${typeName}`, () => {
    const d = deriveSchemas(fixture('schema', 'discovery', file));
    assert.equal(d.configTypeName, typeName);
    assert.deepEqual(
      d.kong.fields[0].config.fields.map((f) => Object.keys(f)[0]),
      fieldNames,
    );
  });
}

test('no config type and ambiguous candidates are distinct errors', () => {
  assert.throws(
    () => deriveSchemas(fixture('schema', 'discovery', 'none.ts')),
    (e: unknown) => e instanceof SchemaDerivationError && e.code === 'NO_CONFIG_TYPE',
  );
  assert.throws(
    () => deriveSchemas(fixture('schema', 'discovery', 'ambiguous.ts')),
    (e: unknown) =>
      e instanceof SchemaDerivationError &&
      e.code === 'AMBIGUOUS_CONFIG_TYPE' &&
      /ReadConfig, WriteConfig/.test(e.message),
  );
  // --type picks one.
  assert.equal(
    deriveSchemas(fixture('schema', 'discovery', 'ambiguous.ts'), { typeName: 'WriteConfig' }).configTypeName,
    'WriteConfig',
  );
});

const UNSUPPORTED: readonly (readonly [string, string, RegExp])[] = [
  ['DateConfig', 'UNSUPPORTED_TYPE', /^config\.when: unsupported type Date \(a library type\)$/],
  ['FunctionConfig', 'UNSUPPORTED_TYPE', /^config\.callback: unsupported type \(\) => void \(a function\)$/],
  ['MethodConfig', 'UNSUPPORTED_TYPE', /^config\.compute: unsupported type a method/],
  ['TupleConfig', 'UNSUPPORTED_TYPE', /^config\.pair: unsupported type \[string, number\] \(a tuple\)$/],
  ['AnyConfig', 'UNSUPPORTED_TYPE', /^config\.anything: unsupported type any$/],
  ['UnknownConfig', 'UNSUPPORTED_TYPE', /^config\.opaque: unsupported type unknown$/],
  ['MixedUnionConfig', 'UNSUPPORTED_TYPE', /^config\.value: unsupported type string \| number \(a union/],
  ['RecursiveConfig', 'UNSUPPORTED_TYPE', /^config\.child: unsupported type RecursiveConfig \(a recursive type\)$/],
  ['SetConfig', 'UNSUPPORTED_TYPE', /^config\.names: unsupported type Set<string>/],
  [
    'HoleyArrayConfig',
    'UNSUPPORTED_TYPE',
    /^config\.items\[\]: unsupported type string \| undefined \(array elements cannot be null or undefined\)$/,
  ],
  ['BigintConfig', 'UNSUPPORTED_TYPE', /^config\.big: unsupported type bigint$/],
  ['DeepConfig', 'UNSUPPORTED_TYPE', /^config\.outer\.inner\.list\[\]\.when: unsupported type Date/],
  [
    'MixedIndexConfig',
    'UNSUPPORTED_TYPE',
    /^config\.extra: unsupported type .*properties and an index signature together/,
  ],
  ['NotJsonDefaultConfig', 'BAD_TAG', /^config\.greeting: @default must be a JSON value/],
  ['WrongDefaultConfig', 'BAD_TAG', /^config\.greeting: @default 5 does not fit the field: the value must be string$/],
  ['NullDefaultConfig', 'BAD_TAG', /^config\.greeting: @default null is not allowed/],
  ['MinimumOnStringConfig', 'BAD_TAG', /^config\.greeting: @minimum applies to number fields, not string$/],
  ['BadPatternConfig', 'BAD_TAG', /^config\.greeting: @pattern \[a-z: not a valid regular expression/],
  ['IntegerOnStringConfig', 'BAD_TAG', /^config\.greeting: @integer applies to number fields/],
  ['MinAboveMaxConfig', 'BAD_TAG', /^config\.n: @minimum 10 is above @maximum 1$/],
  ['NegativeLengthConfig', 'BAD_TAG', /^config\.s: @minLength needs a non-negative integer, got -1$/],
];

test('unsupported types and bad tags: a clear error with the property path', () => {
  for (const [typeName, code, message] of UNSUPPORTED) {
    assert.throws(
      () => deriveSchemas(fixture('schema', 'unsupported.ts'), { typeName }),
      (e: unknown) => {
        assert.ok(e instanceof SchemaDerivationError, `${typeName}: ${String(e)}`);
        assert.equal(e.code, code, `${typeName}: ${e.message}`);
        assert.match(e.message, message, typeName);
        return true;
      },
    );
  }
});

test('a config type from a package import is resolved (second attempt); an unresolvable one is a clear error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-schema-pkg-'));
  try {
    const pkg = path.join(dir, 'node_modules', 'shared-config');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: 'shared-config', version: '1.0.0', types: 'index.d.ts' }),
    );
    fs.writeFileSync(
      path.join(pkg, 'index.d.ts'),
      'export interface SharedConfig {\n  /** @integer */\n  retries: number;\n}\n',
    );
    const plugin = (importLine: string, typeName: string) =>
      `${importLine}\ninterface KongPlugin<C> { config?: C }\nexport class P implements KongPlugin<${typeName}> {\n  access(): void {}\n}\n`;
    fs.writeFileSync(
      path.join(dir, 'from-package.ts'),
      plugin("import type { SharedConfig } from 'shared-config';", 'SharedConfig'),
    );
    const d = deriveSchemas(path.join(dir, 'from-package.ts'));
    assert.equal(d.configTypeName, 'SharedConfig');
    assert.deepEqual(d.kong.fields[0].config.fields, [{ retries: { type: 'integer', required: true } }]);

    fs.writeFileSync(
      path.join(dir, 'missing.ts'),
      `import type { Nope } from 'no-such-package';\nexport interface MissingConfig {\n  x: Nope;\n}\n`,
    );
    assert.throws(
      () => deriveSchemas(path.join(dir, 'missing.ts')),
      /^SchemaDerivationError: config\.x: unsupported type Nope \(unresolved or any\)$/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
