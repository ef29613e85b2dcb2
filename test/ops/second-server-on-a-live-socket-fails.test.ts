/**
 * A second server started on the socket a live server listens on fails with a clear error and
 * leaves the first serving (it used to take the socket and orphan the first); once the first is
 * dead, its socket file is replaced as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBin, SERVER_BIN } from '../helpers/cli.js';
import { KongConnection } from '../helpers/kong-client.js';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

test('the second server exits 1 naming the live server; the first keeps serving; after the first dies a new one starts', async () => {
  const { prefix, socket } = freshPrefix();
  const first = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  try {
    const second = runBin(SERVER_BIN, ['-d', OPS_PLUGINS, '-p', prefix]);
    assert.equal(second.status, 1);
    assert.match(second.stderr, /cannot listen on .*js_pluginserver\.sock: another server is listening on /);
    const c = await KongConnection.open(socket);
    assert.equal((await c.call('GetStatus')).Pid, first.child.pid);
    c.close();
  } finally {
    first.child.kill('SIGKILL');
    await first.exited;
  }
  const third = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  try {
    const c = await KongConnection.open(socket);
    assert.equal((await c.call('GetStatus')).Pid, third.child.pid);
    c.close();
  } finally {
    await stop(third);
  }
});
