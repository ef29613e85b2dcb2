/** examples/plugins/api-key.ts under the test kit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { KitError, loadPlugin } from '../../src/testing/index.js';
import { repoRoot } from '../helpers/paths.js';

interface ApiKeyConfig {
  header: string;
  keys: string[];
}

const file = path.join(repoRoot, 'examples', 'plugins', 'api-key.ts');

test('a missing or wrong key ends the request with 401 and a www-authenticate header', async () => {
  const kit = await loadPlugin<ApiKeyConfig>(file, { config: { keys: ['k1', 'k2'] } });
  for (const headers of [{}, { 'x-api-key': 'nope' }]) {
    const r = await kit.request({ headers }).run();
    assert.equal(r.exit?.status, 401);
    assert.deepEqual(r.exit?.body, { message: 'invalid or missing API key' });
    assert.equal(r.response.header('www-authenticate'), 'ApiKey header="x-api-key"');
    assert.equal(r.response.header('content-type'), 'application/json; charset=utf-8');
    assert.equal(r.proxied, false);
    assert.deepEqual(r.logs, []);
  }
  await kit.close();
});

test('a good key goes through: the key header is removed from the upstream request and a line is logged', async () => {
  const kit = await loadPlugin<ApiKeyConfig>(file, { config: { header: 'X-Key', keys: ['k1'] } });
  assert.equal(kit.config.header, 'X-Key');
  const r = await kit.request({ headers: { 'x-key': 'k1', 'x-other': 'kept' } }).run();
  assert.equal(r.exit, undefined);
  assert.equal(r.serviceRequest.header('x-key'), undefined);
  assert.equal(r.serviceRequest.header('x-other'), 'kept');
  assert.deepEqual(
    r.logs.map((l) => [l.level, l.message]),
    [['info', 'api key accepted']],
  );
  await kit.close();
});

test('the keys are required by the schema', async () => {
  await assert.rejects(
    loadPlugin(file),
    (e: unknown) =>
      e instanceof KitError && e.kind === 'config' && /config\.keys: required field missing/.test(e.message),
  );
});
