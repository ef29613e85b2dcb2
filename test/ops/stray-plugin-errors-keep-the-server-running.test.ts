/**
 * A promise a plugin leaves to reject later with no handler, and an exception a plugin's timer
 * throws, reach the process outside any event. The server logs them with the plugin's name and
 * keeps running: an event in flight at the time finishes, new events are served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

test('a later rejection and a timer exception are logged with the plugin name; no event is lost and the process lives', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  try {
    const c = await KongConnection.open(socket);
    const ping = await startInstance(c, 'ping');
    // An event in flight across both faults.
    const inFlight = await c.call('HandleEvent', { InstanceId: ping, EventName: 'access' });
    assert.deepEqual(inFlight.Data, { Method: 'kong.response.set_header', Args: ['x-ping', 'pong'] });

    for (const name of ['later-reject', 'timer-throw']) {
      const id = await startInstance(c, name);
      assert.equal((await c.call('HandleEvent', { InstanceId: id, EventName: 'access' })).Data, 'ret');
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(srv.child.exitCode, null, `the server exited: ${srv.stderr()}`);

    assert.equal((await c.call('Step', { EventId: inFlight.EventId })).Data, 'ret');
    const next = await c.call('HandleEvent', { InstanceId: ping, EventName: 'access' });
    assert.equal(next.Data.Method, 'kong.response.set_header');
    assert.equal((await c.call('Step', { EventId: next.EventId })).Data, 'ret');
    c.close();

    const err = srv.stderr();
    assert.match(
      err,
      /\[error\] \S+ a promise rejection nobody handled from plugin later-reject: rejected later, unhandled; the server keeps running/,
    );
    assert.match(
      err,
      /\[error\] \S+ an uncaught exception from plugin timer-throw: thrown in a timer; the server keeps running/,
    );
    assert.match(err, /later-reject\.js:\d+/);
  } finally {
    await stop(srv);
  }
  assert.equal((await srv.exited).code, 0);
});
