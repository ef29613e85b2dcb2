/**
 * The extracted pdk.yaml is a valid IDL: it loads with the repository's loader (next to the
 * repository's rpc.yaml and entities.yaml, no overrides) and generates; and a function added to
 * a Kong tree flows into the generated client with no hand edit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mergeTrees } from '../../codegen/extract/merge.js';
import { NO_RULES, RuleBook } from '../../codegen/extract/rules.js';
import { extractTree } from '../../codegen/extract/tree.js';
import { writePdkYaml } from '../../codegen/extract/yaml-writer.js';
import { generate } from '../../codegen/generate.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { repoRoot } from '../helpers/paths.js';
import { fixtureRules, mergedFixtures, tree } from './helpers.js';

function idlDirWith(pdkYaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-idl-'));
  fs.writeFileSync(path.join(dir, 'pdk.yaml'), pdkYaml);
  for (const f of ['rpc.yaml', 'entities.yaml']) fs.copyFileSync(path.join(repoRoot, 'idl', f), path.join(dir, f));
  return dir;
}

function copyTree(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
}

test('the merged fixture extraction loads with loadIdl and generates', () => {
  const idl = loadIdl(idlDirWith(writePdkYaml(mergedFixtures(true).merged.file)), 'extracted');
  assert.equal(idl.functions.length, 30);
  const legacy = idl.functions.find((f) => f.name === 'kong.request.get_legacy_path')!;
  assert.equal(legacy.until, '2.8.0');
  assert.ok(
    idl.functions.find((f) => f.name === 'kong.request.get_query_arg')!.defects.some((d) => /no @tparam/.test(d)),
  );
  const files = generate(idl);
  const pdk = files.get('pdk.ts')!;
  assert.match(pdk, /getUriCaptures\(\)/);
  assert.match(pdk, /"kong\.ctx\.shared\.set"/);
  assert.doesNotMatch(pdk, /"kong\.tracing\.set_should_sample"/, 'a colon method is not callable');
});

test('a function added to a Kong tree appears in the generated client after extract + generate', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-tree-'));
  copyTree(tree('new'), root);
  const request = path.join(root, 'kong', 'pdk', 'request.lua');
  const added = [
    '  ---',
    '  -- Returns the path as forwarded.',
    '  --',
    '  -- @function kong.request.get_forwarded_path',
    '  -- @phases rewrite, access, log',
    '  -- @treturn string The path.',
    '  function _REQUEST.get_forwarded_path()',
    '    return ngx.var.upstream_uri',
    '  end',
    '',
    '',
    '  return _REQUEST',
  ].join('\n');
  fs.writeFileSync(request, fs.readFileSync(request, 'utf8').replace('  return _REQUEST', added));

  const before = generate(
    loadIdl(
      idlDirWith(
        writePdkYaml(
          mergeTrees([extractTree(tree('new'), { book: new RuleBook(fixtureRules()), label: 'main' })]).file,
        ),
      ),
      'x',
    ),
  );
  assert.doesNotMatch(before.get('pdk.ts')!, /getForwardedPath/);
  const after = generate(
    loadIdl(
      idlDirWith(writePdkYaml(mergeTrees([extractTree(root, { book: new RuleBook(NO_RULES), label: 'main' })]).file)),
      'x',
    ),
  );
  assert.match(after.get('pdk.ts')!, /getForwardedPath\(\): Promise<string>/);
  assert.match(after.get('pdk.ts')!, /"kong\.request\.get_forwarded_path"/);
});
