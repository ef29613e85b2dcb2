/** The one Kong-version comparator (common/kong-version.ts) used by the dump, the kit and the extractor. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKongVersions, isKongVersion, parseKongVersion } from '../../common/kong-version.js';

test('releases order by number part by part, missing parts count as 0, main is newest', () => {
  const labels = ['main', '3.10.0', '2.8.0', '3.9.0', '3.4.3.5', '3.4', '2.3.0'];
  assert.deepEqual([...labels].sort(compareKongVersions), [
    '2.3.0',
    '2.8.0',
    '3.4',
    '3.4.3.5',
    '3.9.0',
    '3.10.0',
    'main',
  ]);
  assert.equal(compareKongVersions('3.4', '3.4.0'), 0);
  assert.equal(compareKongVersions('main', 'main'), 0);
  assert.equal(compareKongVersions('3.9.0', 'main'), -1);
});

test('a pre-release or build suffix is ignored; anything else is not a version and throws', () => {
  assert.equal(compareKongVersions('3.9.0-rc.1', '3.9.0'), 0);
  assert.deepEqual(parseKongVersion('3.8.1+enterprise'), { main: false, parts: [3, 8, 1] });
  for (const bad of ['', 'latest', 'v3.9.0', '3..9', '3.9.x']) {
    assert.equal(isKongVersion(bad), false, bad);
    assert.throws(() => compareKongVersions(bad, '3.9.0'), /not a Kong version/);
  }
});
