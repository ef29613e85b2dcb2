/**
 * The generated PDK client holds no module-level state: the handler for names the IDL does
 * not know is given to `createPdk`, so with two servers in one process each plugin's
 * forwarding warning reaches the logger of the server that runs it, once per server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, startTestServer, type TestServer } from '../helpers/kong-client.js';

async function runEnterprisePlugin(ts: TestServer): Promise<void> {
  const c = await ts.connect();
  const id = await startInstance(c, 'enterprise');
  const first = await c.rpc('plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
  assert.deepEqual(first.Data, { Method: 'kong.client.get_consumer_groups', Args: [] });
  let reply = await c.rpc('plugin.Step', { EventId: first.EventId, Data: ['gold'] });
  while (reply.Data !== 'ret') reply = await c.rpc('plugin.Step', { EventId: first.EventId });
}

const warnings = (ts: TestServer): string[] =>
  ts.logLines.filter((l) => l.startsWith('[warn]') && l.includes('kong.client.get_consumer_groups'));

test('each server warns on its own logger about unknown PDK names its plugins use', async () => {
  const a = await startTestServer();
  const b = await startTestServer();
  try {
    await runEnterprisePlugin(a);
    assert.equal(warnings(a).length, 1);
    assert.deepEqual(warnings(b), [], 'the other server logged nothing');

    await runEnterprisePlugin(b);
    assert.equal(warnings(b).length, 1, 'the second server warns once on its own logger');
    assert.equal(warnings(a).length, 1);
  } finally {
    await a.close();
    await b.close();
  }
});
