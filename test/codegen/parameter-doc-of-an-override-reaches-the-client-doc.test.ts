/**
 * A `doc` in a parameter patch of pdk-overrides.yaml is applied: the parameter's model carries
 * it, the generated client's `@param` line says it, and pdk-index.json lists it. A `doc` in
 * pdk.yaml is the fallback the patch replaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate } from '../../codegen/generate.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { fixture } from '../helpers/paths.js';

/** A copy of the fixture IDL with each edit (file, from, to) applied. */
function idlWith(edits: [file: string, from: string, to: string][]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idl-doc-'));
  for (const f of fs.readdirSync(fixture('idl-small'))) fs.copyFileSync(fixture('idl-small', f), path.join(dir, f));
  for (const [file, from, to] of edits) {
    const p = path.join(dir, file);
    const before = fs.readFileSync(p, 'utf8');
    const after = before.replace(from, to);
    assert.notEqual(after, before, `the edit of ${file} did not apply`);
    fs.writeFileSync(p, after);
  }
  return dir;
}

const PATCH_DOC = 'the body of the response, a string or a table Kong encodes as JSON';
const PDK_BODY_DOC = 'the body as Kong documents it';
const PDK_HEADERS_DOC = 'headers of the response';

function exitParam(dir: string, name: string) {
  const idl = loadIdl(dir, 'idl-small');
  const exit = idl.functions.find((f) => f.name === 'kong.response.exit');
  assert.ok(exit, 'the fixture has kong.response.exit');
  const p = exit.params.find((x) => x.lua === name);
  assert.ok(p, `kong.response.exit has ${name}`);
  return { idl, p };
}

test('a doc in a parameter patch reaches the model, the @param line and pdk-index.json, over the doc of pdk.yaml', () => {
  const dir = idlWith([
    [
      'pdk-overrides.yaml',
      'body: {type: "string | map<string, any>", nil_filler: ""}',
      `body: {type: "string | map<string, any>", nil_filler: "", doc: "${PATCH_DOC}"}`,
    ],
    [
      'pdk.yaml',
      '{name: body, type: "table | string", optional: true}',
      `{name: body, type: "table | string", optional: true, doc: "${PDK_BODY_DOC}"}`,
    ],
  ]);
  try {
    const { idl, p } = exitParam(dir, 'body');
    assert.equal(p.doc, PATCH_DOC);
    const files = generate(idl);
    const pdkTs = files.get('pdk.ts');
    assert.ok(pdkTs);
    assert.match(pdkTs, new RegExp(`@param body string \\| map<string, any>: ${PATCH_DOC}; sent as ""`));
    assert.ok(!pdkTs.includes(PDK_BODY_DOC), 'the patch replaces the doc of pdk.yaml');
    const index = JSON.parse(files.get('pdk-index.json')!) as {
      functions: { name: string; params: { name: string; doc?: string }[] }[];
    };
    const exit = index.functions.find((f) => f.name === 'kong.response.exit');
    assert.equal(exit?.params.find((x) => x.name === 'body')?.doc, PATCH_DOC);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a doc in pdk.yaml stays when the parameter patch has none', () => {
  const dir = idlWith([
    [
      'pdk.yaml',
      '{name: headers, type: table, optional: true}',
      `{name: headers, type: table, optional: true, doc: "${PDK_HEADERS_DOC}"}`,
    ],
  ]);
  try {
    const { idl, p } = exitParam(dir, 'headers');
    assert.equal(p.doc, PDK_HEADERS_DOC);
    assert.match(generate(idl).get('pdk.ts')!, new RegExp(`@param headers map<string, string>: ${PDK_HEADERS_DOC}`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without a doc anywhere the @param line is unchanged and the index has no doc key', () => {
  const { idl, p } = exitParam(fixture('idl-small'), 'body');
  assert.equal(p.doc, undefined);
  const files = generate(idl);
  assert.match(files.get('pdk.ts')!, /@param body string \| map<string, any>; sent as ""/);
  const index = JSON.parse(files.get('pdk-index.json')!) as {
    functions: { name: string; params: { name: string }[] }[];
  };
  const body = index.functions.find((f) => f.name === 'kong.response.exit')?.params.find((x) => x.name === 'body');
  assert.ok(body);
  assert.equal(Object.hasOwn(body, 'doc'), false);
});
