/** generated/ must be exactly what the committed IDL produces (CI also checks with git diff). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from '../../codegen/generate.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { repoRoot } from '../helpers/paths.js';

test('generated/ matches a fresh generation from idl/', () => {
  const files = generate(loadIdl(path.join(repoRoot, 'idl'), 'idl'));
  const onDisk = fs.readdirSync(path.join(repoRoot, 'generated')).sort();
  assert.deepEqual(onDisk, [...files.keys()].sort());
  for (const [name, text] of files) {
    assert.equal(
      fs.readFileSync(path.join(repoRoot, 'generated', name), 'utf8'),
      text,
      `generated/${name} is stale: run npm run codegen`,
    );
  }
});

test('the IDL holds all 122 functions of Kong main and the client exposes the 112 usable ones', () => {
  const idl = loadIdl(path.join(repoRoot, 'idl'), 'idl');
  assert.equal(idl.functions.length, 122);
  assert.equal(idl.functions.filter((f) => f.kind === 'rpc_only').length, 7);
  const exposed = idl.functions.filter((f) => f.usable);
  assert.equal(exposed.length, 112);
  for (const f of idl.functions.filter((x) => !x.usable)) assert.ok(f.unusableReasons.length > 0, f.name);
});
