/** kong.log.serialize resolves to JSON text over the protocol; serializedLog() decodes it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPdk } from '../../generated/index.js';
import { serializedLog } from '../../src/index.js';

test('serializedLog parses the JSON text Kong sends for kong.log.serialize', async () => {
  const calls: string[] = [];
  const kong = createPdk({
    call: (method) => {
      calls.push(method);
      return Promise.resolve(
        '{"request":{"method":"GET","uri":"/x"},"response":{"status":200},"latencies":{"request":3},"client_ip":"1.2.3.4"}',
      );
    },
  });
  const record = await serializedLog(kong);
  assert.deepEqual(calls, ['kong.log.serialize']);
  assert.equal(record.request.method, 'GET');
  assert.equal(record.response.status, 200);
  assert.equal(record.client_ip, '1.2.3.4');
});

test('serializedLog explains a missing record instead of failing in JSON.parse', async () => {
  const kong = createPdk({ call: () => Promise.resolve(undefined) });
  await assert.rejects(serializedLog(kong), /returned nothing, not JSON text/);
});
