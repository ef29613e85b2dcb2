/**
 * The doc bullet of a `(nil, err)` function says what a plugin meets on Kong 3.x: `undefined`
 * where Kong drops the error, an unanswered call where Kong's raw-bytes or multimap fix raises
 * on the nil first. The test kit's model of Kong's RPC layer is the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nilErrNote } from '../../codegen/emit/pdk-client.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { PDK_FUNCTIONS } from '../../generated/index.js';
import { KongRaise, NilErr } from '../../src/testing/errors.js';
import { wireAnswer } from '../../src/testing/fake-kong/wire-answer.js';
import { repoRoot } from '../helpers/paths.js';

const idl = loadIdl(path.join(repoRoot, 'idl'), 'idl');
const nilErrFunctions = idl.functions.filter((f) => f.nilErr && f.usable);

/** True when Kong 3.x (as the kit models it) raises instead of answering a `(nil, err)`. */
function kong3Raises(name: string): boolean {
  const info = PDK_FUNCTIONS.get(name);
  assert.ok(info, `${name} is exposed`);
  try {
    wireAnswer(name, info.flags, new NilErr('boom'), false);
    return false;
  } catch (e) {
    if (e instanceof KongRaise) return true;
    throw e;
  }
}

test('every (nil, err) function documents what Kong 3.x does with the nil, as the kit models it', () => {
  assert.ok(nilErrFunctions.length > 3, 'the IDL has (nil, err) functions');
  for (const f of nilErrFunctions) {
    const note = nilErrNote(f);
    if (kong3Raises(f.name)) {
      assert.match(note, /raises on the nil/, f.name);
      assert.match(note, /never resolves/, f.name);
      assert.doesNotMatch(note, /resolves `undefined`/, f.name);
    } else {
      assert.match(note, /Kong 3\.x drops the error, so the call resolves `undefined`/, f.name);
    }
  }
});

test("getRawBody's doc comment names the raw-bytes fix's Lua error instead of promising undefined", () => {
  const raw = nilErrFunctions.find((f) => f.name === 'kong.request.get_raw_body');
  assert.ok(raw, 'kong.request.get_raw_body is documented (nil, err)');
  assert.equal(kong3Raises(raw.name), true);
  const pdkTs = fs.readFileSync(path.join(repoRoot, 'generated', 'pdk.ts'), 'utf8');
  const doc = /\/\*\*\n {3}\* `kong\.request\.get_raw_body`[\s\S]*?\*\/\n {2}getRawBody\(/.exec(pdkTs);
  assert.ok(doc, 'generated/pdk.ts documents getRawBody');
  assert.ok(doc[0].includes(nilErrNote(raw)), 'the bullet is in the generated doc comment');
  assert.match(doc[0], /attempt to get length of local 'str'/);
  assert.doesNotMatch(doc[0], /so the call resolves `undefined`/);
});

test('a (nil, err) function without a result fix still resolves undefined on Kong 3.x in the kit', () => {
  const plain = nilErrFunctions.filter((f) => !f.resultFix);
  assert.ok(plain.length > 0);
  for (const f of plain) {
    const info = PDK_FUNCTIONS.get(f.name);
    assert.ok(info);
    assert.deepEqual(wireAnswer(f.name, info.flags, new NilErr('boom'), false), { kind: 'nil-err', message: 'boom' });
  }
});
