/** pdk-diff reports additions, removals and per-function changes (params, returns, phases, RPC handling) as Markdown. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeTrees } from '../../codegen/extract/merge.js';
import { functionChanges, pdkDiff } from '../../codegen/extract/pdk-diff.js';
import type { PdkFunction } from '../../codegen/extract/model.js';
import { extractFixture } from './helpers.js';

const md = () => pdkDiff(mergeTrees([extractFixture('old')]).file, mergeTrees([extractFixture('new')]).file);

test('the summary counts functions before and after', () => {
  const text = md();
  assert.match(text, /^# PDK changes: Kong 2\.8\.0 \(2\.8\.0\) → main \(3\.10\.0-dev\)$/m);
  assert.match(text, /^\| functions \| 24 \| 29 \|$/m);
  assert.match(text, /^Added 6, removed 1, changed \d+\.$/m);
});

test('added and removed functions are listed with their signatures', () => {
  const text = md();
  assert.match(
    text,
    /^- `kong\.service\.set_retry_callback\(retry_callback: function\)` → nothing \(not callable over MsgPack\)$/m,
  );
  assert.match(text, /^## Removed \(1\)\n\n- `kong\.request\.get_legacy_path\(\)`$/m);
});

test('parameter, return, phase and RPC changes are listed per function', () => {
  const text = md();
  const section = text.slice(text.indexOf('### `kong.request.get_raw_body`'));
  const block = section.slice(0, section.indexOf('\n### ', 5));
  assert.match(block, /- params: added `max_size\?: number`/);
  assert.match(block, /- returns: `string` → `string \\\| nil`, `nil \\\| string \(err\)`/);
  assert.match(block, /- RPC: result fix – → `raw_bytes`/);
  assert.match(
    block,
    /- RPC: ProtoBuf rpc `Request_GetRawBody\(google\.protobuf\.Empty\) → String` → `Request_GetRawBody\(google\.protobuf\.Empty\) → RawBodyResult`/,
  );
  assert.match(text, /### `kong\.service\.set_tls_cert_key`\n\n- phases: added `preread`/);
  assert.match(
    text,
    /### `kong\.service\.set_header`\n\n- params: `value`: type `string \\\| number \\\| boolean` → `string\[\] \\\| string \\\| number \\\| boolean`/,
  );
  assert.match(
    text,
    /### `kong\.nginx\.get_var`\n\n- RPC: defined in `kong\/runloop\/plugin_servers\/init\.lua` → `kong\/runloop\/plugin_servers\/plugin\.lua`/,
  );
});

test('a function that did not change gives no entry; one that did gives topics in a fixed order', () => {
  const base: PdkFunction = {
    name: 'kong.x.y',
    params: [{ name: 'a', type: 'string' }],
    returns: [{ type: 'string' }],
    phases: ['access'],
    msgpack: {},
  };
  assert.deepEqual(functionChanges(base, structuredClone(base)), []);
  const changed: PdkFunction = {
    ...structuredClone(base),
    params: [{ name: 'a', type: 'string', optional: true }],
    phases: ['access', 'log'],
    msgpack: { exposed_api: 'override' },
  };
  assert.deepEqual(
    functionChanges(base, changed).map((c) => `${c.topic}: ${c.text}`),
    ['params: `a`: now optional', 'phases: added `log`', 'rpc: exposed_api – → `override`'],
  );
});
