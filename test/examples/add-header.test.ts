/** examples/plugins/add-header.js under the test kit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadPlugin } from '../../src/testing/index.js';
import { repoRoot } from '../helpers/paths.js';

const file = path.join(repoRoot, 'examples', 'plugins', 'add-header.js');

test('access tells the upstream the route name; response adds the configured header with the upstream status', async () => {
  const kit = await loadPlugin(file, { config: { header: 'x-hello', value: 'world' } });
  const r = await kit
    .request({ route: { name: 'orders' }, upstream: { status: 201, headers: { 'x-up': '1' } } })
    .run(['access', 'response']);
  assert.deepEqual(r.ran, ['access', 'response']);
  assert.equal(r.serviceRequest.header('x-route-name'), 'orders');
  assert.equal(r.response.status, 201);
  assert.deepEqual(r.response.headers['x-hello'], ['world; upstream=201']);
  assert.equal(r.response.header('x-up'), '1');
  await kit.close();
});

test('the schema defaults apply, and a request with no route says "unnamed"', async () => {
  const kit = await loadPlugin(file);
  assert.deepEqual(kit.config, { header: 'x-added-by', value: 'kong-ts-pdk' });
  const r = await kit.request({ route: null }).run();
  assert.equal(r.serviceRequest.header('x-route-name'), 'unnamed');
  assert.equal(r.response.header('x-added-by'), 'kong-ts-pdk; upstream=200');
  assert.deepEqual(
    r.calls.map((c) => [c.phase, c.method, c.step]),
    [
      ['access', 'kong.router.get_route', 'plugin.StepRoute'],
      ['access', 'kong.service.request.set_header', 'plugin.Step'],
      ['response', 'kong.response.get_status', 'plugin.Step'],
      ['response', 'kong.response.set_header', 'plugin.Step'],
    ],
  );
  await kit.close();
});
