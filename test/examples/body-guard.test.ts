/** examples/plugins/body-guard.ts under the test kit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { KitError, loadPlugin } from '../../src/testing/index.js';
import { repoRoot } from '../helpers/paths.js';

const file = path.join(repoRoot, 'examples', 'plugins', 'body-guard.ts');

test('the upstream gets the SHA-256 of the exact body bytes (not of a UTF-8 decoding)', async () => {
  const kit = await loadPlugin(file, { config: { max_bytes: 1024 } });
  const body = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0a]);
  const r = await kit.request({ method: 'POST', body }).run();
  assert.equal(r.exit, undefined);
  assert.equal(r.serviceRequest.header('x-body-sha256'), createHash('sha256').update(body).digest('hex'));
  assert.notEqual(
    r.serviceRequest.header('x-body-sha256'),
    createHash('sha256').update(body.toString('utf8')).digest('hex'),
  );
  await kit.close();
});

test('an empty body is hashed too', async () => {
  const kit = await loadPlugin(file);
  const r = await kit.request().run();
  assert.equal(r.serviceRequest.header('x-body-sha256'), createHash('sha256').update('').digest('hex'));
  await kit.close();
});

test('a body over max_bytes ends the request with 413', async () => {
  const kit = await loadPlugin(file, { config: { max_bytes: 8 } });
  const r = await kit.request({ method: 'POST', body: 'nine byte' }).run();
  assert.equal(r.exit?.status, 413);
  assert.deepEqual(r.exit?.body, { message: 'body of 9 bytes exceeds 8' });
  assert.equal(r.serviceRequest.header('x-body-sha256'), undefined);
  await kit.close();
});

test('a body nginx buffered to a file never reaches the "unavailable" branch: Kong 3.x raises on the nil raw body', async () => {
  const kit = await loadPlugin(file);
  await assert.rejects(
    kit.request({ method: 'POST', body: 'x'.repeat(100), bodyInFile: true }).run(),
    (e: unknown) => e instanceof KitError && e.kind === 'kong-raised' && /fix_raw cannot pack nil/.test(e.message),
  );
  // Kong 2.x rejects the call instead: the handler throws, and the server answers Kong as if it had succeeded.
  const old = await loadPlugin(file, { kongVersion: '2.8.0', failOnPluginError: false });
  const r = await old.request({ method: 'POST', body: 'x', bodyInFile: true }).run();
  assert.match(r.pluginErrors[0]?.message ?? '', /did not fit into client body buffer/);
  assert.equal(r.serviceRequest.header('x-body-sha256'), undefined);
});

test("max_bytes must be within the schema's bounds", async () => {
  await assert.rejects(
    loadPlugin(file, { config: { max_bytes: 0 } }),
    /config\.max_bytes: value should be between 1 and 1073741824/,
  );
});
