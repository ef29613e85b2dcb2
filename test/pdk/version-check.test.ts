/** A plugin targeting an older Kong is told which of its PDK calls that Kong lacks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PDK_FUNCTIONS } from '../../generated/index.js';
import { compareKongVersions } from '../../common/kong-version.js';
import { callsNewerThan } from '../../src/plugins/version-check.js';

test('versions compare numerically and main is newest', () => {
  assert.equal(compareKongVersions('3.10.0', '3.9.0'), 1);
  assert.equal(compareKongVersions('2.8.0', '3.0.0'), -1);
  assert.equal(compareKongVersions('main', '3.9.0'), 1);
  assert.equal(compareKongVersions('3.4', '3.4.0'), 0);
});

test('calls added after the target version are found, older ones are not', () => {
  // The version ranges come from the extracted IDL, so the expectations follow it.
  assert.equal(PDK_FUNCTIONS.get('kong.request.get_raw_path')?.since, '3.0.0');
  assert.equal(PDK_FUNCTIONS.get('kong.service.request.clear_query_arg')?.since, '3.9.0');
  const source = `
    async access(kong) {
      const p = await kong.request.getRawPath();
      await kong.service.request.clearQueryArg('debug');
      await kong.request.getHeader('host');
      const pdk = kong; await pdk.plugin.getId();
    }`;
  const on28 = callsNewerThan(source, '2.8.0')
    .map((c) => `${c.name}@${c.since}`)
    .sort();
  assert.deepEqual(on28, [
    'kong.plugin.get_id@3.4.0',
    'kong.request.get_raw_path@3.0.0',
    'kong.service.request.clear_query_arg@3.9.0',
  ]);
  assert.deepEqual(
    callsNewerThan(source, '3.4.0').map((c) => c.name),
    ['kong.service.request.clear_query_arg'],
  );
  assert.deepEqual(callsNewerThan(source, '3.9.0'), []);
});

test('a call on a deeper module is not taken for one on a shallower module of the same name', () => {
  // kong.service.request.clear_query_arg is newer than 3.4.0; kong.request has no clearQueryArg.
  assert.deepEqual(callsNewerThan('kong.request.clearQueryArg("x")', '2.8.0'), []);
  assert.equal(callsNewerThan('kong.service.request.clearQueryArg("x")', '2.8.0').length, 1);
});
