/**
 * A flood of garbage connections writes a handful of warning lines and one count of the rest,
 * not one line each; every line carries its time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { KongConnection } from '../helpers/kong-client.js';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

test('300 garbage connections: 5 warnings, then "295 more" when the window closes (here: at shutdown)', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  try {
    for (let i = 0; i < 300; i++) {
      const g = await KongConnection.open(socket);
      g.write(encode(i));
      await g.waitClosed();
    }
  } finally {
    await stop(srv);
  }
  const lines = srv
    .stderr()
    .split('\n')
    .filter((l) => l !== '');
  for (const l of lines) assert.match(l, /^\[(error|warn|info|debug)\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
  const each = lines.filter((l) => l.includes('sent something other than a request array'));
  assert.equal(each.length, 5, srv.stderr());
  const count = lines.filter((l) => /295 more "not-a-request" warnings in the last \d+ s were not logged/.test(l));
  assert.equal(count.length, 1, srv.stderr());
  assert.ok(lines.length <= 8, srv.stderr());
});
