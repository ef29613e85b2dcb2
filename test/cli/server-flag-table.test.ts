/**
 * The server CLI's flags are one typed table: each entry parses into the typed config (server
 * tunables into ServerOptions fields), `--help` lists every entry, and a bad value names its flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/cli/args.js';
import { logLevelOf, parseServerArgs, SERVER_FLAGS } from '../../src/cli/server-flags.js';
import { socketPathOf } from '../../src/cli/pluginserver.js';
import { runBin, SERVER_BIN } from '../helpers/cli.js';

test('server tunables parse into typed ServerOptions fields; unset ones stay unset for the defaults to apply', () => {
  const c = parseServerArgs([
    '-d',
    'x',
    '--event-ttl',
    '2.5',
    '-instance-idle=30',
    '--max-message-size',
    '1000.7',
    '--no-greeting',
  ]);
  assert.deepEqual(c.server, { eventTtlMs: 2500, instanceIdleMs: 30_000, maxMessageBytes: 1000, greeting: false });
  assert.deepEqual(parseServerArgs(['-d', 'x']).server, {});
});

test('both personalities resolve their socket from one set of defaults', () => {
  assert.equal(socketPathOf(parseServerArgs(['-d', 'x'])), '/usr/local/kong/js_pluginserver.sock');
  assert.equal(socketPathOf(parseServerArgs(['-d', 'x', '-p', '/srv/k', '--sock-name', 'a.sock'])), '/srv/k/a.sock');
  assert.equal(
    socketPathOf(parseServerArgs(['-d', 'x', '--plugin', 'Echo', '-kong-prefix', '/srv/k'])),
    '/srv/k/echo.socket',
  );
});

test('-v steps the log level up from warn; --log-level wins; a bad level is a usage error naming the flag', () => {
  assert.equal(logLevelOf(parseServerArgs([])), 'warn');
  assert.equal(logLevelOf(parseServerArgs(['-v'])), 'info');
  assert.equal(logLevelOf(parseServerArgs(['-v', '--verbose'])), 'debug');
  assert.equal(logLevelOf(parseServerArgs(['-v', '--log-level', 'error'])), 'error');
  assert.throws(
    () => parseServerArgs(['--log-level', 'loud']),
    (e: unknown) => e instanceof UsageError && /--log-level must be one of/.test(e.message),
  );
  assert.throws(() => parseServerArgs(['--event-ttl', '-1']), /--event-ttl needs a positive number/);
  assert.throws(() => parseServerArgs(['--dump=1']), /--dump=1 takes no value/);
});

test('--help lists every entry of the flag table', () => {
  const help = runBin(SERVER_BIN, ['--help']);
  assert.equal(help.status, 0);
  for (const f of SERVER_FLAGS) {
    const long = f.names.find((n) => n.length > 1)!;
    assert.match(help.text, new RegExp(`--${long}\\b`), long);
  }
});
