/** examples/plugins/log-summary.js under the test kit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadPlugin } from '../../src/testing/index.js';
import { repoRoot } from '../helpers/paths.js';

const file = path.join(repoRoot, 'examples', 'plugins', 'log-summary.js');

test('the log phase writes one notice line from the serialized record', async () => {
  const kit = await loadPlugin(file);
  const r = await kit
    .request({ method: 'POST', url: '/orders/7?verbose=1', upstream: { status: 204 }, latencies: { request: 42 } })
    .run();
  assert.deepEqual(r.ran, ['log']);
  assert.deepEqual(
    r.logs.map((l) => [l.phase, l.level, l.message]),
    [['log', 'notice', 'POST /orders/7?verbose=1 -> 204 in 42 ms']],
  );
  assert.equal(r.calls[0]!.method, 'kong.log.serialize');
  assert.equal(typeof r.calls[0]!.result, 'string', 'serialize crosses as JSON text');
  await kit.close();
});

test('the configured prefix is prepended', async () => {
  const kit = await loadPlugin(file, { config: { prefix: '[edge]' } });
  const r = await kit.request({ url: '/x', latencies: { request: 3 } }).run();
  assert.deepEqual(r.logMessages('notice'), ['[edge] GET /x -> 200 in 3 ms']);
  await kit.close();
});
