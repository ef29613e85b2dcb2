/**
 * SetPluginDir, which Kong never sends, must not let a socket client run code from a directory
 * it names: the configured directory answers "ok" (a no-op), any other is refused unless the
 * server was started with --allow-set-plugin-dir, and a refused or failed call leaves the loaded
 * plugins as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RpcErrors } from '../../generated/index.js';
import { tempDir } from '../helpers/cli.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

/** A directory whose one plugin leaves a marker file when its module is loaded. */
function foreignDir(): { dir: string; marker: string } {
  const dir = tempDir('kts-foreign-');
  const marker = path.join(dir, 'code-ran');
  fs.writeFileSync(
    path.join(dir, 'evil.js'),
    `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x');\n` +
      "class Plugin { access() {} }\nmodule.exports = { Plugin, Version: '1.0.0', Priority: 1 };\n",
  );
  return { dir, marker };
}

test('a foreign directory is refused in the IDL words, its code never runs, and every configured plugin still starts', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  try {
    const c = await KongConnection.open(socket);
    const { dir, marker } = foreignDir();
    assert.equal(await c.callError('SetPluginDir', dir), RpcErrors.SetPluginDirRefused(dir));
    assert.equal(fs.existsSync(marker), false, 'the foreign plugin module was loaded');
    assert.equal(
      await c.callError('SetPluginDir', '/nonexistent/dir'),
      RpcErrors.SetPluginDirRefused('/nonexistent/dir'),
    );
    const status = await c.call('GetStatus');
    assert.ok('ping' in status.Plugins && !('evil' in status.Plugins));
    await startInstance(c, 'ping');
    assert.match(await c.callError('StartInstance', { Name: 'evil', Config: '{}' }), /plugin evil is not loaded/);
    // The configured directory, however spelled, is a no-op "ok".
    assert.equal(await c.call('SetPluginDir', OPS_PLUGINS + '/'), 'ok');
    await startInstance(c, 'ping');
    c.close();
  } finally {
    await stop(srv);
  }
});

test('with --allow-set-plugin-dir a directory with nothing loadable fails and changes nothing; a good one replaces the set', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix, '--allow-set-plugin-dir'], socket);
  try {
    const c = await KongConnection.open(socket);
    const broken = tempDir('kts-broken-');
    fs.writeFileSync(path.join(broken, 'bad.js'), 'this is not javascript(');
    const err = await c.callError('SetPluginDir', broken);
    assert.ok(err.startsWith(`plugin directory ${broken} was not loaded (bad.js: `), err);
    assert.ok(err.endsWith('); the loaded plugins are unchanged'), err);
    await startInstance(c, 'ping');

    const { dir, marker } = foreignDir();
    assert.equal(await c.call('SetPluginDir', dir), 'ok');
    assert.ok(fs.existsSync(marker));
    await startInstance(c, 'evil');
    c.close();
  } finally {
    await stop(srv);
  }
});
