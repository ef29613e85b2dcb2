/**
 * The version history pdk.yaml records beyond function since/until: per-function `changes`
 * (older values of a field), parameters with `until`, and `kong.rpc`; written by the YAML
 * writer, admitted by the schema, exposed by the loader and shown in doc comments and pdk-diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { mergeTrees } from '../../codegen/extract/merge.js';
import { pdkDiff } from '../../codegen/extract/pdk-diff.js';
import { writePdkYaml } from '../../codegen/extract/yaml-writer.js';
import { historyLines } from '../../codegen/emit/pdk-client.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { repoRoot } from '../helpers/paths.js';
import { extractFixture, fixtureRules, mergedFixtures } from './helpers.js';
import { RuleBook } from '../../codegen/extract/rules.js';

function idlDirWith(pdkYaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-idl-'));
  fs.writeFileSync(path.join(dir, 'pdk.yaml'), pdkYaml);
  for (const f of ['rpc.yaml', 'entities.yaml']) fs.copyFileSync(path.join(repoRoot, 'idl', f), path.join(dir, f));
  return dir;
}

/** The three fixture trees, with mid's get_header taking a wider type and main's set_header losing `value`. */
function alteredTrees() {
  const book = new RuleBook(fixtureRules());
  const trees = (['old', 'mid', 'new'] as const).map((n) => extractFixture(n, book.rules, book));
  trees[1]!.functions.find((f) => f.name === 'kong.request.get_header')!.params[0]!.type = 'string | number';
  const setHeader = trees[2]!.functions.find((f) => f.name === 'kong.service.set_header')!;
  setHeader.params = setHeader.params.filter((p) => p.name !== 'value');
  return trees;
}

test('changes: every older value of a changed field, since implied from the first release, value absent = default', () => {
  const { merged } = mergedFixtures(true);
  const f = (name: string) => merged.file.functions.find((x) => x.name === name)!;
  assert.deepEqual(f('kong.request.get_raw_body').changes, [
    { field: 'returns', until: '2.8.0', value: [{ type: 'string' }] },
    { field: 'nil_err', until: '2.8.0' },
    { field: 'code_returns_nil_err', until: '2.8.0', value: true },
    { field: 'msgpack.result_fix', until: '2.8.0' },
    {
      field: 'protobuf',
      until: '2.8.0',
      value: { rpc: 'Request_GetRawBody', input: 'google.protobuf.Empty', output: 'String' },
    },
  ]);
  assert.deepEqual(f('kong.service.set_tls_cert_key').changes, [
    { field: 'phases', until: '2.8.0', value: ['rewrite', 'access', 'balancer'] },
  ]);
  assert.deepEqual(f('kong.service.set_header').changes, [
    { field: 'params.value.type', until: '3.0.0', value: 'string | number | boolean' },
  ]);
  assert.deepEqual(f('kong.nginx.get_var').changes, [
    { field: 'source_file', until: '3.0.0', value: 'kong/runloop/plugin_servers/init.lua' },
  ]);
  assert.equal(f('kong.request.get_header').changes, undefined, 'nothing changed, no key');
  assert.deepEqual(merged.file.kong.rpc, [
    { fact: 'call_pdk_method_returns', value: 'all', until: '2.8.0' },
    { fact: 'call_pdk_method_returns', value: 'first', since: '3.0.0' },
  ]);
  // A single tree: one fact with no range.
  assert.deepEqual(mergeTrees([extractFixture('new')]).file.kong.rpc, [
    { fact: 'call_pdk_method_returns', value: 'first' },
  ]);
});

test('a value held in a middle release gets since; a parameter gone from the newest is kept in place with until', () => {
  const merged = mergeTrees(alteredTrees());
  const f = (name: string) => merged.file.functions.find((x) => x.name === name)!;
  assert.deepEqual(f('kong.request.get_header').changes, [
    { field: 'params.name.type', until: '2.8.0', value: 'string' },
    { field: 'params.name.type', since: '3.0.0', until: '3.0.0', value: 'string | number' },
  ]);
  assert.deepEqual(
    f('kong.service.set_header').params.map((p) => [p.name, p.until]),
    [
      ['header', undefined],
      ['value', '3.0.0'],
    ],
  );
  const text = writePdkYaml(merged.file);
  assert.match(text, /\n {6}- name: value\n {8}type: "string \| number \| boolean"\n {8}until: 3\.0\.0\n/);
  assert.match(
    text,
    /\n {6}- \{field: params\.name\.type, since: 3\.0\.0, until: 3\.0\.0, value: "string \| number"\}\n/,
  );
  assert.match(text, /\n {2}rpc:\n {4}- \{fact: call_pdk_method_returns, value: all, until: 2\.8\.0\}\n/);
  // The flow style parses back to the same values.
  const back = parse(text) as typeof merged.file;
  assert.deepEqual(back.kong.rpc, merged.file.kong.rpc);
  assert.deepEqual(
    back.functions.find((x) => x.name === 'kong.request.get_raw_body')!.changes,
    f('kong.request.get_raw_body').changes,
  );

  // The loader validates and exposes them; the client never offers a removed parameter.
  const idl = loadIdl(idlDirWith(text), 'x');
  const setHeader = idl.functions.find((x) => x.name === 'kong.service.set_header')!;
  assert.deepEqual(
    setHeader.params.map((p) => p.lua),
    ['header'],
  );
  assert.deepEqual(setHeader.removedParams, [{ lua: 'value', typeText: 'string | number | boolean', until: '3.0.0' }]);
  assert.deepEqual(idl.kong.rpc, merged.file.kong.rpc);
  const rawBody = idl.functions.find((x) => x.name === 'kong.request.get_raw_body')!;
  assert.equal(rawBody.changes.length, 5);
  assert.deepEqual(historyLines(idl, rawBody), [
    'Returns up to Kong 2.8.0: string.',
    'Documented `(nil, err)` up to Kong 2.8.0: no.',
    'Raw bytes from Kong 3.0.0 (a string up to 2.8.0).',
  ]);
  assert.deepEqual(historyLines(idl, setHeader), [
    'Parameter `value` (string | number | boolean) up to Kong 3.0.0; no longer taken.',
  ]);
  assert.deepEqual(
    historyLines(
      idl,
      idl.functions.find((x) => x.name === 'kong.request.get_header')!,
    ),
    [
      'Parameter `name` type up to Kong 2.8.0: string.',
      'Parameter `name` type in Kong 3.0.0 → 3.0.0: string | number.',
    ],
  );
});

test('the doc comment of a generated method carries its history lines', async () => {
  const { generate } = await import('../../codegen/generate.js');
  const idl = loadIdl(idlDirWith(writePdkYaml(mergedFixtures(true).merged.file)), 'x');
  const pdk = generate(idl).get('pdk.ts')!;
  assert.match(pdk, /\* Raw bytes from Kong 3\.0\.0 \(a string up to 2\.8\.0\)\./);
  assert.match(pdk, /\* Parameter `value` type up to Kong 3\.0\.0: string \| number \| boolean\./);
});

test('pdk-diff shows history the new file records and the old one did not', () => {
  const before = mergedFixtures(true).merged.file;
  const after = mergeTrees(alteredTrees(), { keepRemoved: true }).file;
  const md = pdkDiff(before, after);
  assert.match(md, /- history: `params\.name\.type` was `"string \\\| number"` 3\.0\.0 → 3\.0\.0\n/);
  assert.match(md, /- history: parameter `value: string \\\| number \\\| boolean` up to 3\.0\.0\n/);
  assert.match(md, /- params: removed `value: string\[\] \\\| string/);
  // Same history on both sides: nothing to show.
  assert.doesNotMatch(pdkDiff(before, before), /history:/);
});
