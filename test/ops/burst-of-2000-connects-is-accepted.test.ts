/**
 * Kong opens connections in bursts (after a reload every worker's pool refills) and never
 * retries a refused connect. With the default backlog of 511, 122–996 of 2,000 simultaneous
 * connects failed with EAGAIN; the server now asks for the largest backlog the kernel grants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

test('2,000 simultaneous connects are all accepted and greeted', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  const sockets: net.Socket[] = [];
  try {
    const results = await Promise.all(
      Array.from(
        { length: 2000 },
        () =>
          new Promise<string>((resolve) => {
            const s = net.connect(socket);
            sockets.push(s);
            // The greeting ([2, "serverPid", pid]) proves the server accepted and served it.
            s.once('data', () => resolve('greeted'));
            s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
            setTimeout(() => resolve('timeout'), 15_000).unref();
          }),
      ),
    );
    const failed = results.filter((r) => r !== 'greeted');
    assert.deepEqual(failed, [], `${failed.length} of 2000 connects failed: ${[...new Set(failed)].join(', ')}`);
  } finally {
    for (const s of sockets) s.destroy();
    await stop(srv);
  }
});
