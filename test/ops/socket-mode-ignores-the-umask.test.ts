/**
 * The socket file gets an explicit mode whatever the umask: 0660 by default (Kong's workers run as
 * the server's user or share its group; nobody else may drive the plugins), --socket-mode to
 * choose another. Under umask 000 the old server left it 0777.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { runBin, SERVER_BIN } from '../helpers/cli.js';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

const modeOf = (p: string): number => fs.statSync(p).mode & 0o777;

test('under umask 000 the socket is 0660 by default and exactly --socket-mode when given', async () => {
  for (const [flags, want] of [
    [[], 0o660],
    [['--socket-mode', '0600'], 0o600],
    [['--socket-mode=640'], 0o640],
  ] as const) {
    const { prefix, socket } = freshPrefix();
    const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix, ...flags], socket, { umask: '000' });
    try {
      assert.equal(modeOf(socket).toString(8), want.toString(8), `flags ${flags.join(' ')}`);
    } finally {
      await stop(srv);
    }
  }
});

test('a mode that is not octal is a usage error', () => {
  const r = runBin(SERVER_BIN, ['-d', OPS_PLUGINS, '--socket-mode', '999']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--socket-mode needs an octal mode such as 0660, got 999/);
});
