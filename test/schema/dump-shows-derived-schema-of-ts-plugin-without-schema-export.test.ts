/**
 * Loader integration (src/schema/implicit-schema.ts) through the real CLI: a TypeScript plugin
 * with no `Schema` export shows its derived schema in `--dump-all-plugins` and `-dump`; a
 * `.schema.json` sidecar comes first; the on-disk cache (sha256 of the source) makes the next
 * dump skip ts-morph; a config type that cannot be mapped fails that plugin's load only; and
 * plugins exporting `Schema` never load ts-morph (nor ajv) in the loader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPluginDir } from '../../src/plugins/loader.js';
import { implicitSchemaStats, SCHEMA_CACHE_ENV } from '../../src/schema/implicit-schema.js';
import { runBin, SERVER_BIN, tempDir } from '../helpers/cli.js';
import { fixture, repoRoot } from '../helpers/paths.js';

const DIR = fixture('schema', 'plugins');

interface Info {
  Name: string;
  Schema: { name: string; fields: { config: { type: string; fields: unknown[] } }[] };
}

const DERIVED_FIELDS = [
  { header: { type: 'string', required: true, default: 'x-derived' } },
  { attempts: { type: 'integer', required: true, default: 3, between: [1, Number.MAX_SAFE_INTEGER] } },
  { label: { type: 'string' } },
];

function dump(
  dir: string,
  cache: string,
  args = ['--dump-all-plugins'],
): { infos: Info[]; stderr: string; ms: number; text: string } {
  process.env[SCHEMA_CACHE_ENV] = cache;
  const t0 = process.hrtime.bigint();
  const r = runBin(SERVER_BIN, ['-d', dir, ...args], 60000);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.text) as Info[] | { Plugins: Info[] };
  return { infos: Array.isArray(parsed) ? parsed : parsed.Plugins, stderr: r.stderr, ms, text: r.text };
}

const configFields = (infos: Info[], name: string): unknown[] | undefined =>
  infos.find((i) => i.Name === name)?.Schema.fields[0]!.config.fields;

test('--dump-all-plugins shows the derived schema of a TS plugin with no Schema export; the second dump uses the cache', (t) => {
  const cache = tempDir('kts-schema-cache-');
  try {
    const cold = dump(DIR, cache);
    assert.deepEqual(
      cold.infos.map((i) => i.Name),
      ['echo-config', 'ts-derived', 'with-sidecar'],
    );
    assert.deepEqual(configFields(cold.infos, 'ts-derived'), DERIVED_FIELDS);
    assert.deepEqual(configFields(cold.infos, 'with-sidecar'), [
      { color: { type: 'string', one_of: ['red', 'green'], default: 'green' } },
    ]);
    assert.equal(cold.stderr, '');
    const entries = fs.readdirSync(cache);
    assert.equal(entries.length, 1, `one cache entry: ${entries.join(', ')}`);
    assert.match(entries[0]!, /^v\d+-[0-9a-f]{64}\.json$/);

    const warm = dump(DIR, cache);
    assert.equal(warm.text, cold.text, 'same dump from the cache');
    t.diagnostic(
      `dump with a derived TS schema: cold cache ${cold.ms.toFixed(0)} ms, warm cache ${warm.ms.toFixed(0)} ms`,
    );
    assert.ok(warm.ms < cold.ms, `cached dump (${warm.ms} ms) should be faster than deriving (${cold.ms} ms)`);

    const one = dump(DIR, cache, ['--plugin', 'ts-derived', '-dump']);
    assert.deepEqual(configFields(one.infos, 'ts-derived'), DERIVED_FIELDS);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('a sidecar .schema.json wins over derivation; a changed source is derived again', () => {
  const dir = tempDir('kts-schema-dir-');
  const cache = tempDir('kts-schema-cache-');
  try {
    const source = fs.readFileSync(path.join(DIR, 'ts-derived.ts'), 'utf8');
    fs.writeFileSync(path.join(dir, 'ts-derived.ts'), source);
    const sidecar = {
      kong: {
        name: 'ts-derived',
        fields: [{ config: { type: 'record', fields: [{ only: { type: 'boolean', default: true } }] } }],
      },
    };
    fs.writeFileSync(path.join(dir, 'ts-derived.schema.json'), JSON.stringify(sidecar));
    assert.deepEqual(configFields(dump(dir, cache).infos, 'ts-derived'), [
      { only: { type: 'boolean', default: true } },
    ]);
    assert.deepEqual(fs.readdirSync(cache), [], 'no derivation when a sidecar exists');

    fs.rmSync(path.join(dir, 'ts-derived.schema.json'));
    assert.deepEqual(configFields(dump(dir, cache).infos, 'ts-derived'), DERIVED_FIELDS);
    fs.writeFileSync(
      path.join(dir, 'ts-derived.ts'),
      source.replace('label?: string;', 'label?: string;\n  /** @default false */\n  verbose: boolean;'),
    );
    assert.deepEqual(configFields(dump(dir, cache).infos, 'ts-derived'), [
      ...DERIVED_FIELDS,
      { verbose: { type: 'boolean', required: true, default: false } },
    ]);
    assert.equal(fs.readdirSync(cache).length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('a config type imported from a sibling file: the cache notices when that file changes', () => {
  const dir = tempDir('kts-schema-dir-');
  const cache = tempDir('kts-schema-cache-');
  try {
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'types.ts'), 'export interface SharedConfig {\n  a: string;\n}\n');
    // The config type lives in ./lib/types.ts; implements KongPlugin<…> names it.
    fs.writeFileSync(
      path.join(dir, 'shared.ts'),
      "import type { SharedConfig } from './lib/types';\ninterface KongPlugin<C> { config?: C }\nclass P implements KongPlugin<SharedConfig> {\n  constructor(readonly config: SharedConfig) {}\n  access(): void {}\n}\nmodule.exports = { Plugin: P, Version: '1.0.0', Priority: 1 };\n",
    );
    assert.deepEqual(configFields(dump(dir, cache).infos, 'shared'), [{ a: { type: 'string', required: true } }]);
    fs.writeFileSync(
      path.join(dir, 'lib', 'types.ts'),
      'export interface SharedConfig {\n  a: string;\n  b?: number;\n}\n',
    );
    assert.deepEqual(configFields(dump(dir, cache).infos, 'shared'), [
      { a: { type: 'string', required: true } },
      { b: { type: 'number' } },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test("a TS config type that cannot be mapped fails that plugin's load with the path; the others are dumped", () => {
  const dir = tempDir('kts-schema-dir-');
  const cache = tempDir('kts-schema-cache-');
  try {
    fs.copyFileSync(path.join(DIR, 'echo-config.js'), path.join(dir, 'echo-config.js'));
    fs.writeFileSync(
      path.join(dir, 'dated.ts'),
      "export interface DatedConfig {\n  when: Date;\n}\nclass P {\n  constructor(readonly config: DatedConfig) {}\n  access(): void {}\n}\nmodule.exports = { Plugin: P, Version: '1.0.0', Priority: 1 };\n",
    );
    const r = dump(dir, cache);
    assert.deepEqual(
      r.infos.map((i) => i.Name),
      ['echo-config'],
    );
    assert.match(
      r.stderr,
      /dated\.ts failed to load: cannot derive its config schema from TypeScript: config\.when: unsupported type Date/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('plugins that export Schema: the loader loads neither ts-morph nor ajv', async () => {
  const before = { ...implicitSchemaStats };
  for (const dir of [fixture('cli-plugins'), path.join(repoRoot, 'examples', 'plugins'), fixture('plugins')]) {
    const { plugins } = await loadPluginDir(dir);
    assert.ok(plugins.size > 0);
  }
  const loaded = Object.keys(require.cache);
  assert.ok(
    !loaded.some((k) => k.includes(`${path.sep}node_modules${path.sep}ts-morph${path.sep}`)),
    'ts-morph loaded',
  );
  assert.ok(!loaded.some((k) => k.includes(`${path.sep}node_modules${path.sep}ajv${path.sep}`)), 'ajv loaded');
  assert.ok(
    !loaded.some((k) => k.includes(`${path.sep}src${path.sep}authoring${path.sep}`)),
    'an authoring module loaded',
  );
  assert.equal(implicitSchemaStats.derived, before.derived);
  assert.equal(implicitSchemaStats.cacheHits, before.cacheHits);
});
