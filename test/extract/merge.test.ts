/** Merging several Kong trees gives since/until per function and parameter; per-field history goes to changes (see history-fields.test.ts) and the report. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKongVersions } from '../../common/kong-version.js';
import { mergedFixtures } from './helpers.js';

test('tracked releases are ordered oldest first, main last; the newest one gives version and entries', () => {
  const { merged } = mergedFixtures();
  assert.deepEqual(merged.file.kong.tracked, ['2.8.0', '3.0.0', 'main']);
  assert.equal(merged.file.kong.version, '3.10.0-dev');
  assert.deepEqual(['main', '3.10.0', '2.8.0', '3.9.0'].sort(compareKongVersions), [
    '2.8.0',
    '3.9.0',
    '3.10.0',
    'main',
  ]);
});

test('since: absent for the oldest release, else the first release that has the function or parameter', () => {
  const { merged } = mergedFixtures();
  const f = (name: string) => merged.file.functions.find((x) => x.name === name)!;
  assert.equal(f('kong.request.get_header').since, undefined);
  assert.equal(f('kong.request.get_uri_captures').since, '3.0.0');
  // Renamed from the 3.0 new_span labels, so present from 3.0.0.
  assert.equal(f('kong.tracing.start_span').since, '3.0.0');
  assert.equal(f('kong.service.set_retry_callback').since, 'main');
  assert.equal(f('kong.client.tls.request_client_certificate').params[0]!.since, '3.0.0');
  assert.equal(f('kong.request.get_raw_body').params[0]!.since, 'main');
  // A parameter as old as its function has no since of its own.
  assert.equal(f('kong.tracing.process_span').params[0]!.since, undefined);
  assert.equal(f('kong.tracing.process_span').params[1]!.since, 'main');
});

test('until: a function gone from the newest release is left out, or kept with until when asked', () => {
  const dropped = mergedFixtures().merged;
  assert.equal(
    dropped.file.functions.some((f) => f.name === 'kong.request.get_legacy_path'),
    false,
  );
  assert.deepEqual(dropped.removed, [{ name: 'kong.request.get_legacy_path', since: '2.8.0', until: '2.8.0' }]);
  const kept = mergedFixtures(true).merged;
  const legacy = kept.file.functions.find((f) => f.name === 'kong.request.get_legacy_path')!;
  assert.equal(legacy.until, '2.8.0');
  // Kept in its place: right after its predecessor in the release that had it.
  const names = kept.file.functions.map((f) => f.name);
  assert.equal(names.indexOf('kong.request.get_legacy_path'), names.indexOf('kong.request.get_raw_body') + 1);
});

test('history (the report): per-field ranges, as pdk.yaml changes and kong.rpc also record them', () => {
  const { merged } = mergedFixtures();
  const h = (name: string) => merged.history.find((x) => x.name === name)!;
  assert.deepEqual(h('kong.service.set_tls_cert_key').fields['phases'], [
    { since: '2.8.0', until: '2.8.0', value: ['rewrite', 'access', 'balancer'] },
    { since: '3.0.0', until: 'main', value: ['rewrite', 'access', 'balancer', 'preread'] },
  ]);
  assert.deepEqual(h('kong.request.get_raw_body').fields['msgpack.result_fix'], [
    { since: '2.8.0', until: '2.8.0', value: null },
    { since: '3.0.0', until: 'main', value: 'raw_bytes' },
  ]);
  assert.deepEqual(
    h('kong.request.get_raw_body').fields['code_returns_nil_err']!.map((r) => [r.since, r.value]),
    [
      ['2.8.0', true],
      ['3.0.0', false],
    ],
  );
  assert.deepEqual(merged.rpcLayer, [
    { since: '2.8.0', until: '2.8.0', value: 'all' },
    { since: '3.0.0', until: 'main', value: 'first' },
  ]);
  assert.deepEqual(
    h('kong.nginx.get_var').fields['source_file']!.map((r) => r.value),
    ['kong/runloop/plugin_servers/init.lua', 'kong/runloop/plugin_servers/plugin.lua'],
  );
});
