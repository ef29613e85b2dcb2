/**
 * `kong-ts-pluginserver --watch` as a developer uses it, with a server process and real files:
 * after a plugin file (or a module it requires, a .ts plugin, an ES module) changes, instances started
 * afterwards run the new code, an event already running finishes with the old code, the old
 * idle instance is forgotten so that Kong restarts it ("No plugin instance"), and a changed
 * schema is reported as needing a Kong restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBin, SERVER_BIN, startServerProcess, tempDir, type ServerProcess } from '../helpers/cli.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';

let dir: string;
let plugins: string;
let server: ServerProcess;
let kong: KongConnection;

function writeJsPlugin(version: string, schema = '[]'): void {
  fs.writeFileSync(
    path.join(plugins, 'greet.js'),
    [
      "const { word } = require('./lib/word.js');",
      'class Plugin {',
      '  async access(kong) {',
      "    await kong.request.getHeader('x-wait');",
      `    await kong.response.setHeader('x-v', '${version}:' + word);`,
      '  }',
      '}',
      `module.exports = { Plugin, Version: '1.0.0', Priority: 1, Schema: ${schema} };`,
    ].join('\n'),
  );
}

function writeWord(word: string): void {
  fs.writeFileSync(path.join(plugins, 'lib', 'word.js'), `exports.word = '${word}';\n`);
}

function writeTsPlugin(version: string): void {
  fs.writeFileSync(
    path.join(plugins, 'typed.ts'),
    [
      'class Typed {',
      '  async access(kong: { response: { setHeader(n: string, v: string): Promise<void> } }): Promise<void> {',
      `    const v: string = '${version}';`,
      "    await kong.response.setHeader('x-v', v);",
      '  }',
      '}',
      "module.exports = { Plugin: Typed, Version: '1.0.0', Priority: 1, RawBodies: 'buffer' };",
    ].join('\n'),
  );
}

function writeEsmPlugin(version: string): void {
  fs.writeFileSync(
    path.join(plugins, 'esm.mjs'),
    [
      'class Plugin {',
      '  async access(kong) {',
      `    await kong.response.setHeader('x-v', '${version}');`,
      '  }',
      '}',
      "export default { Plugin, Version: '1.0.0', Priority: 1 };",
    ].join('\n'),
  );
}

/** Waits until the server's stderr has matched `re` `count` times. */
async function logged(re: RegExp, count = 1, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const global = new RegExp(re.source, 'g');
  while ((server.stderr().match(global) ?? []).length < count) {
    if (Date.now() > deadline) throw new Error(`not logged ${count}x: ${re}\n${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `greet`'s access on `id` to its end: the header value it set. */
async function greet(id: number): Promise<string> {
  const ev = await kong.call('HandleEvent', { InstanceId: id, EventName: 'access' });
  const set = await kong.call('Step', { EventId: ev.EventId, Data: null });
  assert.equal(set.Data.Method, 'kong.response.set_header');
  await kong.call('Step', { EventId: ev.EventId, Data: null });
  return set.Data.Args[1] as string;
}

before(async () => {
  dir = tempDir('kts-watch-');
  plugins = path.join(dir, 'plugins');
  fs.mkdirSync(path.join(plugins, 'lib'), { recursive: true });
  writeJsPlugin('one');
  writeWord('alpha');
  writeTsPlugin('ts-one');
  writeEsmPlugin('esm-one');
  const sock = path.join(dir, 'js_pluginserver.sock');
  server = await startServerProcess(['-d', plugins, '-p', dir, '--watch', '-v'], sock);
  kong = await KongConnection.open(sock);
});
after(async () => {
  kong?.close();
  server?.child.kill('SIGTERM');
  await server?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('--watch reloads changed plugins', () => {
  test('the help and the start-up line say that a changed schema still needs Kong restarted', async () => {
    await logged(/watching .*plugins: .*a changed schema still needs Kong restarted/);
    const help = runBin(SERVER_BIN, ['--help']);
    assert.match(help.text, /--watch +development: .*a changed schema still needs Kong restarted/);
  });

  test('new instances run the new code; a running event keeps the old; the old idle instance is retired', async () => {
    const old = await startInstance(kong, 'greet');
    assert.equal(await greet(old), 'one:alpha');
    // An event of the old code, paused at its first PDK call while the file changes.
    const running = await kong.call('HandleEvent', { InstanceId: old, EventName: 'access' });
    assert.equal(running.Data.Method, 'kong.request.get_header');

    writeJsPlugin('two');
    await logged(/reloaded .*greet/);
    const fresh = await startInstance(kong, 'greet');
    assert.equal(await greet(fresh), 'two:alpha');

    const finished = await kong.call('Step', { EventId: running.EventId, Data: null });
    assert.deepEqual(finished.Data.Args, ['x-v', 'one:alpha'], 'the running event finished with the old code');
    await kong.call('Step', { EventId: running.EventId, Data: null });

    // Its event over, the old instance is forgotten: Kong's next event makes Kong start a new one.
    await logged(new RegExp(`instance ${old} of greet retired`));
    const err = await kong.callError('HandleEvent', { InstanceId: old, EventName: 'access' });
    assert.match(err, new RegExp(`No plugin instance ${old}`));
  });

  test('a changed module the plugin requires is reloaded too', async () => {
    const before = (server.stderr().match(/reloaded /g) ?? []).length;
    writeWord('beta');
    await logged(/reloaded /, before + 1);
    assert.equal(await greet(await startInstance(kong, 'greet')), 'two:beta');
  });

  test('a .ts plugin is compiled again', async () => {
    const before = (server.stderr().match(/reloaded /g) ?? []).length;
    writeTsPlugin('ts-two');
    await logged(/reloaded /, before + 1);
    const id = await startInstance(kong, 'typed');
    const ev = await kong.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.deepEqual(ev.Data.Args, ['x-v', 'ts-two']);
    await kong.call('Step', { EventId: ev.EventId, Data: null });
  });

  test('an ES module plugin is imported again', async () => {
    const before = (server.stderr().match(/reloaded /g) ?? []).length;
    writeEsmPlugin('esm-two');
    await logged(/reloaded /, before + 1);
    const id = await startInstance(kong, 'esm');
    const ev = await kong.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.deepEqual(ev.Data.Args, ['x-v', 'esm-two']);
    await kong.call('Step', { EventId: ev.EventId, Data: null });
  });

  test('a changed schema is served but reported as needing a Kong restart', async () => {
    writeJsPlugin('three', "[{ greeting: { type: 'string', default: 'hi' } }]");
    await logged(/plugin greet: its schema changed; .*restart Kong/);
    assert.equal(await greet(await startInstance(kong, 'greet')), 'three:beta');
  });

  test('a plugin that no longer loads keeps its previous code, and the failure is logged', async () => {
    fs.writeFileSync(path.join(plugins, 'greet.js'), 'class Plugin { access( }');
    await logged(/greet\.js failed to reload \(the previous code stays\): .*greet\.js:1:\d+: SyntaxError/);
    assert.equal(await greet(await startInstance(kong, 'greet')), 'three:beta');
  });
});
