/**
 * Adding one function to the IDL and regenerating makes it appear in the client, its types,
 * its docs and the index, with no hand edit anywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeGenerated } from '../../codegen/cli.js';
import { generate } from '../../codegen/generate.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { fixture } from '../helpers/paths.js';
import { typeCheck } from '../helpers/typecheck.js';

const NEW_FUNCTION = `
  - name: kong.request.get_forwarded_prefix
    source: "kong/pdk/request.lua:99"
    since: main
    params:
      - {name: max_depth, type: integer, optional: true}
    returns:
      - {type: "string | nil"}
    phases: [access, log]
    msgpack: {}
`;

test('a function added to pdk.yaml flows into the client, its types, docs and the index', async () => {
  const idlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idl-add-'));
  for (const f of fs.readdirSync(fixture('idl-small'))) fs.copyFileSync(fixture('idl-small', f), path.join(idlDir, f));
  const before = generate(loadIdl(idlDir, 'idl-small'));
  assert.doesNotMatch(before.get('pdk.ts')!, /getForwardedPrefix/);

  fs.appendFileSync(path.join(idlDir, 'pdk.yaml'), NEW_FUNCTION);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-add-'));
  const files = generate(loadIdl(idlDir, 'idl-small'));
  writeGenerated(out, files);
  const pdk = fs.readFileSync(path.join(out, 'pdk.ts'), 'utf8');

  // The interface method with its type and doc comment.
  assert.match(pdk, /getForwardedPrefix\(maxDepth\?: number\): Promise<string \| undefined>;/);
  assert.match(pdk, /`kong\.request\.get_forwarded_prefix` — kong\/pdk\/request\.lua:99/);
  assert.match(pdk, /Kong main → current\./);
  // The implementation and the name table.
  assert.match(pdk, /this\.t\.call\("kong\.request\.get_forwarded_prefix", \[maxDepth\], 0\)/);
  assert.match(pdk, /\["kong\.request\.getForwardedPrefix", "kong\.request\.get_forwarded_prefix"\]/);
  // The index.
  const index = JSON.parse(fs.readFileSync(path.join(out, 'pdk-index.json'), 'utf8')) as {
    functions: { name: string; exposed: boolean; since: string }[];
  };
  const entry = index.functions.find((f) => f.name === 'kong.request.get_forwarded_prefix');
  assert.deepEqual({ exposed: entry?.exposed, since: entry?.since }, { exposed: true, since: 'main' });

  // It type-checks, and a consumer can call it through the generated client.
  fs.writeFileSync(
    path.join(out, 'use.ts'),
    'import { createPdk } from "./pdk.js";\n' +
      'const kong = createPdk({ call: async () => "/prefix" });\n' +
      'export const p: Promise<string | undefined> = kong.request.getForwardedPrefix(2);\n',
  );
  const tsFiles = fs
    .readdirSync(out)
    .filter((n) => n.endsWith('.ts'))
    .map((n) => path.join(out, n));
  assert.deepEqual(typeCheck(tsFiles), []);
});
