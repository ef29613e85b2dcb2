/**
 * A plugins directory outside the package (Kong's, with no node_modules) whose plugins import
 * runtime values from kong-ts-pdk: they load in a server process and get the server's own copy
 * (`instanceof PdkError` holds for the errors its PDK throws, even with another copy in the
 * plugins' node_modules), from CommonJS, TypeScript and ES modules alike; and a .ts plugin's
 * stack traces name its own lines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBin, SERVER_BIN, startServerProcess, tempDir, type ServerProcess } from '../helpers/cli.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

const IMPORTERS = { 'cjs-import': 'cjs-import.js', 'ts-import': 'ts-import.ts', 'esm-import': 'esm-import.mjs' };

let dir: string;
let plugins: string;
let server: ServerProcess;
let kong: KongConnection;

before(async () => {
  dir = tempDir('kts-outside-');
  plugins = path.join(dir, 'plugins');
  fs.mkdirSync(plugins);
  for (const f of [...Object.values(IMPORTERS), 'stack-line.ts'])
    fs.copyFileSync(fixture('plugins', 'outside', f), path.join(plugins, f));
  // A copy of its own beside the plugins, whose PdkError is another class: the server's wins.
  const own = path.join(plugins, 'node_modules', 'kong-ts-pdk');
  fs.mkdirSync(own, { recursive: true });
  fs.writeFileSync(path.join(own, 'package.json'), '{"name": "kong-ts-pdk", "version": "0.0.1", "main": "index.js"}');
  fs.writeFileSync(path.join(own, 'index.js'), 'exports.PdkError = class PdkError extends Error {};');
  const sock = path.join(dir, 'js_pluginserver.sock');
  server = await startServerProcess(['-d', plugins, '-p', dir], sock);
  kong = await KongConnection.open(sock);
});
after(async () => {
  kong?.close();
  server?.child.kill('SIGTERM');
  await server?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('plugins outside the package', () => {
  test('every plugin importing kong-ts-pdk is in the dump, with no load failure', () => {
    const r = runBin(SERVER_BIN, ['-d', plugins, '--dump-all-plugins']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /failed to load|Cannot find module/);
    const names = (JSON.parse(r.text) as { Name: string }[]).map((p) => p.Name).sort();
    assert.deepEqual(names, ['cjs-import', 'esm-import', 'stack-line', 'ts-import']);
  });

  for (const name of Object.keys(IMPORTERS)) {
    test(`${name}: the PdkError it imported is the class the server's PDK throws`, async () => {
      const id = await startInstance(kong, name);
      const ev = await kong.call('HandleEvent', { InstanceId: id, EventName: 'access' });
      assert.deepEqual(ev.Data, { Method: 'kong.request.get_header', Args: ['x-fail'] });
      const next = await kong.call('StepError', { EventId: ev.EventId, Data: 'no such header' });
      assert.deepEqual(next.Data, { Method: 'kong.response.set_header', Args: ['x-pdk-error', 'true'] });
      assert.equal((await kong.call('Step', { EventId: ev.EventId, Data: null })).Data, 'ret');
    });
  }

  test('an ES module plugin whose own helper module imports the package loads too', async () => {
    const alone = tempDir('kts-outside-esm-');
    try {
      fs.copyFileSync(fixture('plugins', 'outside', 'esm-via-helper.mjs'), path.join(alone, 'esm-via-helper.mjs'));
      fs.cpSync(fixture('plugins', 'outside', 'esm-lib'), path.join(alone, 'esm-lib'), { recursive: true });
      const sock = path.join(alone, 'js_pluginserver.sock');
      const own = await startServerProcess(['-d', alone, '-p', alone], sock);
      const k = await KongConnection.open(sock);
      try {
        const id = await startInstance(k, 'esm-via-helper');
        const ev = await k.call('HandleEvent', { InstanceId: id, EventName: 'access' });
        const next = await k.call('StepError', { EventId: ev.EventId, Data: 'no such header' });
        assert.deepEqual(next.Data, { Method: 'kong.response.set_header', Args: ['x-pdk-error', 'true'] });
        await k.call('Step', { EventId: ev.EventId, Data: null });
      } finally {
        k.close();
        own.child.kill('SIGTERM');
        await own.exited;
      }
      assert.doesNotMatch(own.stderr(), /failed to load/);
    } finally {
      fs.rmSync(alone, { recursive: true, force: true });
    }
  });

  test("a .ts plugin's stack trace names the line of its own source", async () => {
    const id = await startInstance(kong, 'stack-line');
    const ev = await kong.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.equal(ev.Data.Method, 'kong.response.set_header');
    const frame = String(ev.Data.Args[1]);
    assert.match(frame, /stack-line\.ts:18:\d+\)?$/, frame);
    await kong.call('Step', { EventId: ev.EventId, Data: null });
  });
});
