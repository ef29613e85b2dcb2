/**
 * `kong-ts-pdk schema <plugin file> [--json-schema-only|--kong-only] [--write]` (runSchema in
 * src/authoring/schema-command.ts), run in a child process: stdout carries only the JSON,
 * warnings go to stderr, `--write` writes the sidecar the loader reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPlugin } from '../../src/plugins/loader.js';
import { implicitSchemaStats } from '../../src/schema/implicit-schema.js';
import { tempDir } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';

const RUNNER = path.join(__dirname, '..', '..', 'src', 'authoring', 'schema-command.js');

function schema(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = `require(${JSON.stringify(RUNNER)}).runSchema(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;
  const r = spawnSync(process.execPath, ['-e', script, '--', ...args], { encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const golden = (name: string): unknown => JSON.parse(fs.readFileSync(fixture('schema', 'golden', name), 'utf8'));

test('prints {"kong": …, "jsonSchema": …} on stdout, warnings on stderr', () => {
  const r = schema(fixture('schema', 'every-tag.ts'));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    kong: golden('every-tag.kong.json'),
    jsonSchema: golden('every-tag.json-schema.json'),
  });
  assert.match(r.stderr, /warning: config\.mode: @pattern \^\(a\|b\)\+\$ has no exact Lua pattern equivalent/);
});

test('--kong-only and --json-schema-only print one of them', () => {
  const k = schema(fixture('schema', 'every-tag.ts'), '--kong-only');
  assert.equal(k.status, 0, k.stderr);
  assert.deepEqual(JSON.parse(k.stdout), golden('every-tag.kong.json'));
  const j = schema('--json-schema-only', fixture('schema', 'every-tag.ts'));
  assert.equal(j.status, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), golden('every-tag.json-schema.json'));
});

test('--write writes <file minus extension>.schema.json, which the loader then uses', async () => {
  const dir = tempDir('kts-schema-write-');
  try {
    const file = path.join(dir, 'ts-derived.ts');
    fs.copyFileSync(fixture('schema', 'plugins', 'ts-derived.ts'), file);
    const r = schema(file, '--write');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const sidecar = path.join(dir, 'ts-derived.schema.json');
    assert.match(r.stderr, new RegExp(`wrote ${sidecar.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const written = JSON.parse(fs.readFileSync(sidecar, 'utf8'));
    assert.deepEqual(Object.keys(written), ['kong', 'jsonSchema']);
    assert.equal(written.kong.name, 'ts-derived');
    assert.equal(written.jsonSchema.title, 'TsDerivedConfig');

    const before = implicitSchemaStats.sidecar;
    const plugin = await loadPlugin(file);
    assert.equal(implicitSchemaStats.sidecar, before + 1);
    assert.equal(implicitSchemaStats.derived, 0);
    assert.deepEqual(plugin.schemaFields, written.kong.fields[0].config.fields);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('errors: an unsupported type exits 1 naming the path; usage errors exit 2', () => {
  const bad = schema(fixture('schema', 'unsupported.ts'), '--type', 'DeepConfig');
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^kong-ts-pdk schema: config\.outer\.inner\.list\[\]\.when: unsupported type Date/);
  const none = schema(fixture('schema', 'discovery', 'none.ts'));
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no config type found/);
  for (const args of [
    [],
    ['a.ts', 'b.ts'],
    ['a.ts', '--kong-only', '--json-schema-only'],
    ['a.ts', '--write', '--kong-only'],
    ['a.ts', '--nope'],
  ]) {
    const r = schema(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
});
