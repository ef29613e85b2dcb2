/**
 * With --event-ttl 2 an event Kong stopped driving is freed within about a second of the TTL
 * (the sweep used to run every 10 s), and the RPC still waiting on a hung handler is answered in
 * the IDL's words rather than "internal error: ... timed out".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcErrors } from '../../generated/index.js';
import { encodeRequest } from '../../src/wire/index.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

test('a hung handler: its HandleEvent is answered EventExpired between 2 and 3 s', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix, '--event-ttl', '2'], socket);
  try {
    const c = await KongConnection.open(socket);
    const id = await startInstance(c, 'hang');
    const t0 = Date.now();
    c.write(encodeRequest(900, 'plugin.HandleEvent', [{ InstanceId: id, EventName: 'access' }]));
    const reply = (await c.next(6000)) as [number, number, string | null, unknown];
    const waited = Date.now() - t0;
    assert.equal(reply[1], 900);
    assert.match(String(reply[2]), /^event \d+ expired: /);
    const eventId = Number(/^event (\d+)/.exec(String(reply[2]))![1]);
    assert.equal(reply[2], RpcErrors.EventExpired(eventId, 2));
    assert.ok(waited >= 2000 && waited < 3000, `answered after ${waited} ms`);
    assert.match(await c.callError('Step', { EventId: eventId }), /no running event/);
    c.close();
  } finally {
    await stop(srv);
  }
});

test('an event abandoned after its first PDK call is alive before the TTL and gone within a second after it', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix, '--event-ttl', '2'], socket);
  try {
    const c = await KongConnection.open(socket);
    const id = await startInstance(c, 'ping');
    const kept = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    const dropped = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await c.call('Step', { EventId: kept.EventId })).Data, 'ret');
    await new Promise((r) => setTimeout(r, 1500));
    // 3 s after its last move, 1 s past the TTL.
    assert.match(await c.callError('Step', { EventId: dropped.EventId }), /^no running event \d+$/);
    c.close();
  } finally {
    await stop(srv);
  }
});
