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

test('a body nginx buffered to a file is read on Kong 3.8+, where getRawBody is given max_bytes', async () => {
  const kit = await loadPlugin(file, { config: { max_bytes: 65536 } });
  const body = Buffer.alloc(20_000, 0xfe);
  const r = await kit.request({ method: 'POST', body }).run();
  assert.equal(r.callsTo('kong.request.get_raw_body')[0]?.args[0], 65536);
  assert.equal(r.serviceRequest.header('x-body-sha256'), createHash('sha256').update(body).digest('hex'));
  await kit.close();
});

test('a declared Content-Length over max_bytes is refused before the body is read', async () => {
  const kit = await loadPlugin(file, { config: { max_bytes: 1000 } });
  const r = await kit.request({ method: 'POST', body: Buffer.alloc(50_000) }).run();
  assert.equal(r.exit?.status, 413);
  assert.deepEqual(r.exit?.body, { message: 'body of 50000 bytes exceeds 1000' });
  assert.deepEqual(r.callsTo('kong.request.get_raw_body'), []);
  await kit.close();
});

test('Kong 3.0 – 3.7 cannot hand over a body in a file: Kong raises unless client_body_buffer_size holds max_bytes', async () => {
  const kit = await loadPlugin(file, { kongVersion: '3.7.0' });
  await assert.rejects(
    kit.request({ method: 'POST', body: 'x'.repeat(10_000) }).run(),
    (e: unknown) => e instanceof KitError && e.kind === 'kong-raised' && /fix_raw cannot pack nil/.test(e.message),
  );
  await kit.close();
  const raised = await loadPlugin(file, { kongVersion: '3.7.0', clientBodyBufferSize: 1048576 });
  const r = await raised.request({ method: 'POST', body: 'x'.repeat(10_000) }).run();
  assert.equal(r.serviceRequest.header('x-body-sha256'), createHash('sha256').update('x'.repeat(10_000)).digest('hex'));
  await raised.close();
});

test('Kong 2.x rejects the call for a body in a file: the upstream is told the hash is unavailable', async () => {
  const old = await loadPlugin(file, { kongVersion: '2.8.0' });
  const r = await old.request({ method: 'POST', body: 'x', bodyInFile: true }).run();
  assert.deepEqual(r.pluginErrors, []);
  assert.equal(r.callsTo('kong.request.get_raw_body')[0]?.outcome, 'nil-err');
  assert.match(r.callsTo('kong.request.get_raw_body')[0]?.error ?? '', /did not fit into client body buffer/);
  assert.equal(r.serviceRequest.header('x-body-sha256'), 'unavailable');
  await old.close();
});

test('a chunked body over max_bytes in a file on Kong 3.8+: Kong refuses to read it and raises (no Content-Length to check first)', async () => {
  const kit = await loadPlugin(file, { config: { max_bytes: 9000 } });
  await assert.rejects(
    kit.request({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(9001) }).run(),
    (e: unknown) =>
      e instanceof KitError && e.kind === 'kong-raised' && /request body file too big: 9001 > 9000/.test(e.message),
  );
  await kit.close();
});

test('a chunked body over max_bytes that fits in memory gets 413', async () => {
  const kit = await loadPlugin(file, { config: { max_bytes: 8 } });
  const r = await kit.request({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'nine byte' }).run();
  assert.equal(r.exit?.status, 413);
  assert.deepEqual(r.exit?.body, { message: 'body of 9 bytes exceeds 8' });
  await kit.close();
});

test("max_bytes must be within the schema's bounds", async () => {
  await assert.rejects(
    loadPlugin(file, { config: { max_bytes: 0 } }),
    /config\.max_bytes: value should be between 1 and 1073741824/,
  );
});
