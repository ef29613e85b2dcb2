/**
 * kong-js-pdk plugins calling PDK names the IDL does not know (Enterprise functions, names of
 * a newer Kong) keep working: the call goes to Kong under kong-js-pdk's snake_case rule.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, startTestServer, type TestServer } from '../helpers/kong-client.js';

let ts: TestServer;
before(async () => {
  ts = await startTestServer();
});
after(() => ts.close());

test('an unknown PDK name is forwarded as kong-js-pdk would send it, with one warning per name', async () => {
  const c = await ts.connect();
  const id = await startInstance(c, 'enterprise');
  for (let round = 0; round < 2; round++) {
    const r1 = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.deepEqual(r1.Data, { Method: 'kong.client.get_consumer_groups', Args: [] });
    const r2 = await c.call('Step', { EventId: r1.EventId, Data: ['gold'] });
    assert.deepEqual(r2.Data, { Method: 'kong.nginx.shared.get', Args: ['k'] });
    const r3 = await c.call('Step', { EventId: r1.EventId });
    assert.deepEqual(r3.Data, { Method: 'kong.response.set_header', Args: ['x-groups', 'gold'] });
    assert.equal((await c.call('Step', { EventId: r1.EventId })).Data, 'ret');
  }
  assert.equal(
    ts.logLines.filter((l) => l.includes('kong.client.get_consumer_groups') && l.startsWith('[warn]')).length,
    1,
  );
});

test('a module object is never mistaken for a promise', async () => {
  const { createPdk } = await import('../../generated/index.js');
  const kong = createPdk({ call: () => Promise.resolve(undefined) });
  assert.equal((kong.request as unknown as { then?: unknown }).then, undefined);
  assert.equal(await Promise.resolve(kong.request), kong.request);
});
