/** Loading plugins into the kit: files, directories, module objects, both transports, an external server; configs. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '../../src/log.js';
import { loadPluginDir } from '../../src/plugins/loader.js';
import type { KongSchemaField } from '../../src/plugins/module-types.js';
import { PluginServer } from '../../src/server/server.js';
import { connectPlugin, KitError, loadPlugin } from '../../src/testing/index.js';
import { repoRoot } from '../helpers/paths.js';
import { inlinePlugin } from './helpers.js';

const examples = path.join(repoRoot, 'examples', 'plugins');

describe('loading', () => {
  test('a TypeScript file, with its info as Kong reads it', async () => {
    const kit = await loadPlugin(path.join(examples, 'api-key.ts'), { config: { keys: ['k'] } });
    assert.equal(kit.name, 'api-key');
    assert.deepEqual(kit.phases, ['access']);
    assert.equal(kit.info.Version, '1.0.0');
    assert.equal(kit.info.Priority, 1250);
    await kit.close();
  });

  test('a directory: one plugin by name; several without a name is an error', async () => {
    const kit = await loadPlugin(examples, { name: 'add-header' });
    assert.equal(kit.name, 'add-header');
    await assert.rejects(
      loadPlugin(examples),
      (e: unknown) => e instanceof KitError && /holds 4 plugins .*pass options\.name/.test(e.message),
    );
    await assert.rejects(loadPlugin(examples, { name: 'nope' }), /no plugin nope/);
    await assert.rejects(loadPlugin(path.join(examples, 'missing.js')), /no plugin at/);
  });

  test('a module object, typed by its config', async () => {
    interface Cfg {
      greeting: string;
    }
    const kit = await loadPlugin<Cfg>(
      inlinePlugin<Cfg>({ access: (k, c) => k.response.setHeader('x-greeting', c.greeting) }, [
        { greeting: { type: 'string', default: 'hi' } },
      ]),
    );
    assert.equal(kit.config.greeting, 'hi');
    const r = await kit.request().run();
    assert.equal(r.response.header('x-greeting'), 'hi');
  });

  test('a plugin Kong would refuse (no Version) is refused', async () => {
    const mod = { ...inlinePlugin({ access: () => {} }), Version: undefined as unknown as string };
    await assert.rejects(
      loadPlugin(mod),
      (e: unknown) =>
        e instanceof KitError && e.kind === 'config' && /would be refused by Kong: Version is missing/.test(e.message),
    );
  });

  test('the socket transport behaves the same as the in-memory one', async () => {
    const outcomes: unknown[] = [];
    for (const transport of ['memory', 'socket'] as const) {
      const kit = await loadPlugin(path.join(examples, 'body-guard.ts'), { config: { max_bytes: 4 }, transport });
      const small = await kit.request({ method: 'POST', body: Buffer.from([0, 255]) }).run();
      const big = await kit.request({ method: 'POST', body: 'too big' }).run();
      outcomes.push([small.serviceRequest.header('x-body-sha256'), big.exit?.status, big.exit?.body]);
      await kit.close();
    }
    assert.deepEqual(outcomes[0], outcomes[1]);
  });

  test('connectPlugin drives a server that is already listening', async () => {
    const { plugins } = await loadPluginDir(examples);
    const server = new PluginServer(plugins, examples, { logger: createLogger('error', () => {}) });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-kit-test-'));
    const sock = path.join(tmp, 's.sock');
    await server.listen(sock);
    try {
      const kit = await connectPlugin(sock, 'api-key', { config: { keys: ['good'] } });
      const denied = await kit.request({ headers: { 'x-api-key': 'bad' } }).run();
      assert.equal(denied.exit?.status, 401);
      const ok = await kit.request({ headers: { 'x-api-key': 'good' } }).run();
      assert.equal(ok.exit, undefined);
      assert.equal(ok.serviceRequest.header('x-api-key'), undefined);
      await kit.close();
    } finally {
      await server.close(0);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  const schema: KongSchemaField[] = [
    { header: { type: 'string', default: 'x-api-key', required: true } },
    { keys: { type: 'array', elements: { type: 'string' }, required: true } },
    { limit: { type: 'integer', between: [1, 10] } },
    { mode: { type: 'string', one_of: ['a', 'b'] } },
    { nested: { type: 'record', required: true, fields: [{ depth: { type: 'integer', default: 3 } }] } },
  ];

  test("defaults are filled, absent optional fields are null, Kong's own keys reach the plugin", async () => {
    let seen: Record<string, unknown> = {};
    const kit = await loadPlugin(
      inlinePlugin(
        {
          access: (_k, config) => {
            seen = config;
          },
        },
        schema,
      ),
      { config: { keys: ['k'] } },
    );
    assert.deepEqual(kit.config, { header: 'x-api-key', keys: ['k'], limit: null, mode: null, nested: { depth: 3 } });
    await kit.request().run();
    assert.equal(seen.header, 'x-api-key');
    assert.equal(seen.limit, null);
    assert.equal(typeof seen.__plugin_id, 'string');
    assert.ok('__key__' in seen && 'route_id' in seen);
  });

  test('a config the admin API would refuse is refused, unless validateConfig is false', async () => {
    const mod = inlinePlugin({ access: () => {} }, schema);
    await assert.rejects(
      loadPlugin(mod, { config: {} }),
      (e: unknown) =>
        e instanceof KitError && e.kind === 'config' && /config\.keys: required field missing/.test(e.message),
    );
    await assert.rejects(
      loadPlugin(mod, { config: { keys: ['k'], limit: 11 } }),
      /config\.limit: value should be between 1 and 10/,
    );
    await assert.rejects(
      loadPlugin(mod, { config: { keys: ['k'], mode: 'c' } }),
      /config\.mode: expected one of "a", "b"/,
    );
    await assert.rejects(loadPlugin(mod, { config: { keys: [1] } }), /config\.keys\[0\]: expected a string/);
    await assert.rejects(loadPlugin(mod, { config: { keys: ['k'], extra: 1 } }), /config\.extra: unknown field/);
    const lax = await loadPlugin(mod, { config: { extra: 1 }, validateConfig: false });
    assert.equal(lax.config.extra, 1);
  });

  test('withConfig starts another instance with another configuration', async () => {
    const kit = await loadPlugin(path.join(examples, 'api-key.ts'), { config: { keys: ['one'] } });
    const other = await kit.withConfig({ keys: ['two'] });
    assert.equal((await kit.request({ headers: { 'x-api-key': 'two' } }).run()).exit?.status, 401);
    assert.equal((await other.request({ headers: { 'x-api-key': 'two' } }).run()).exit, undefined);
    await other.close();
    await kit.close();
    assert.throws(() => kit.request(), /closed/);
  });

  test('defaults apply to every request of a kit', async () => {
    const kit = await loadPlugin(path.join(examples, 'api-key.ts'), {
      config: { keys: ['k'] },
      defaults: { headers: { 'x-api-key': 'k', 'x-other': '1' } },
    });
    const r = await kit.request({ headers: { 'x-other': '2' } }).run();
    assert.equal(r.exit, undefined);
    assert.equal(r.serviceRequest.header('x-other'), '2');
  });
});
