/** The plugin-server RPC layer is read the same way in the ≤ 3.8 and the 3.9+ layouts, and the proto in both places. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFixture } from './helpers.js';

const fn = (t: ReturnType<typeof extractFixture>, name: string) => t.functions.find((f) => f.name === name)!;

test('2.x layout (init.lua + mp_rpc.lua): every return value kept, must_fix is a boolean set of multimaps', () => {
  const old = extractFixture('old');
  assert.deepEqual(old.rpc.files, ['kong/runloop/plugin_servers/init.lua', 'kong/runloop/plugin_servers/mp_rpc.lua']);
  assert.equal(old.rpc.callPdkMethodReturns, 'all');
  assert.equal(old.rpc.proto, 'kong/pluginsocket.proto');
  assert.equal(fn(old, 'kong.request.get_headers').msgpack.result_fix, 'multimap');
  assert.equal(fn(old, 'kong.request.get_raw_body').msgpack.result_fix, undefined);
  assert.equal(fn(old, 'kong.request.get_headers').msgpack.step, 'plugin.StepMultiMap');
  assert.equal(fn(old, 'kong.nginx.get_var').source, 'kong/runloop/plugin_servers/init.lua:14');
});

test('≤ 3.8 layout with fix functions (3.0): one return value kept, raw bytes fixed', () => {
  const mid = extractFixture('mid');
  assert.equal(mid.rpc.callPdkMethodReturns, 'first');
  assert.equal(mid.rpc.proto, 'kong/include/kong/pluginsocket.proto');
  assert.equal(fn(mid, 'kong.request.get_raw_body').msgpack.result_fix, 'raw_bytes');
});

test('3.9+ layout (plugin.lua + rpc/): exposed_api overrides and RPC-only keys', () => {
  const main = extractFixture('new');
  assert.deepEqual(main.rpc.files, [
    'kong/runloop/plugin_servers/plugin.lua',
    'kong/runloop/plugin_servers/rpc/mp_rpc.lua',
    'kong/runloop/plugin_servers/rpc/pb_rpc.lua',
    'kong/runloop/plugin_servers/rpc/util.lua',
  ]);
  assert.equal(main.rpc.callPdkMethodReturns, 'first');
  const header = fn(main, 'kong.request.get_header');
  assert.deepEqual(header.msgpack, {
    exposed_api: 'override',
    log_phase_saved: true,
    effects: ['multi-valued header: only the first value is returned'],
  });
  assert.deepEqual(fn(main, 'kong.log.serialize').msgpack.effects, ['result is JSON-encoded into a string']);
  // An override that takes no argument and passes Kong's own ctx: the caller passes none.
  const captures = fn(main, 'kong.request.get_uri_captures');
  assert.deepEqual(captures.params, []);
  assert.deepEqual(captures.msgpack.effects, ['Kong passes its own ctx argument; the caller passes none']);
  // RPC-only: typed from the proto rpc, named from the override's parameters.
  const setShared = fn(main, 'kong.ctx.shared.set');
  assert.equal(setShared.kind, 'rpc_only');
  assert.deepEqual(setShared.params, [
    { name: 'k', type: 'string' },
    { name: 'v', type: 'any' },
  ]);
  assert.deepEqual(setShared.returns, []);
  assert.deepEqual(setShared.protobuf, { rpc: 'Ctx_SetShared', input: 'KV', output: 'google.protobuf.Empty' });
  assert.deepEqual(fn(main, 'kong.nginx.get_var').msgpack, { exposed_api: 'only' });
  assert.deepEqual(fn(main, 'kong.nginx.get_tls1_version_str').params, []);
  assert.deepEqual(fn(main, 'kong.service.set_upstream').protobuf, {
    rpc: 'Service_SetUpstream',
    input: 'String',
    output: 'Bool',
  });
});

test('modules: http-only ones are marked, unloaded ones left out with a warning', () => {
  const main = extractFixture('new');
  assert.deepEqual(main.modules.subsystemOnly, { 'client.tls': 'http' });
  assert.equal(fn(main, 'kong.client.tls.set_client_verify').subsystem, 'http');
  assert.equal(
    main.functions.some((f) => f.name.startsWith('kong.unused')),
    false,
  );
  assert.ok(main.warnings.some((w) => /kong\/pdk\/unused\.lua: module unused is not loaded/.test(w)));
  assert.deepEqual(main.undocumented, ['kong.log.emerg']);
});

test('the kong.log.LEVEL block expands into the levels its text lists', () => {
  const main = extractFixture('new');
  const levels = main.functions.filter((f) => /^kong\.log\.(err|debug|emerg)$/.test(f.name)).map((f) => f.name);
  assert.deepEqual(levels, ['kong.log.err', 'kong.log.debug']);
  assert.deepEqual(fn(main, 'kong.log.err').params, [{ name: '...', vararg: true, type: 'any' }]);
  assert.equal(fn(main, 'kong.log.err').returns_nothing, true);
});
