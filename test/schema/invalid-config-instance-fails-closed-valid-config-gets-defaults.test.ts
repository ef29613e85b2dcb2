/**
 * Config validation at StartInstance over a real socket (docs/protocol.md (Kong versions): never fail
 * StartInstance): a config that breaks the plugin's schema still gets an instance id; that
 * instance ends access with kong.response.exit(500, …), answers "ret" in log, and the reason
 * — field and rule — is logged once. A valid config reaches the constructor with the schema's
 * defaults applied; Kong's own keys never fail; each plugin's validator is compiled once.
 * Plugins: a Kong-DSL Schema (echo-config.js), a TypeScript config type with no Schema export
 * (ts-derived.ts, schema derived at load), a .schema.json sidecar (with-sidecar.js).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCHEMA_CACHE_ENV } from '../../src/schema/implicit-schema.js';
import { validatorCompileCount } from '../../src/schema/validator.js';
import { startTestServer, type KongConnection, type TestServer } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-schema-cache-'));
process.env[SCHEMA_CACHE_ENV] = cacheDir;

let ts: TestServer;
let c: KongConnection;
let compiledBefore = 0;
before(async () => {
  compiledBefore = validatorCompileCount();
  ts = await startTestServer({}, fixture('schema', 'plugins'));
  c = await ts.connect();
});
after(async () => {
  await ts.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const KONG_KEYS = {
  __key__: 'plugins:x:r1:::',
  __seq__: 7,
  __plugin_id: '7a3c2b9e-1f7e-4c1e-9d1a-2a6f0e4f7b11',
  __ws_id: '0dc6f45b-8f8d-40d2-a504-473544ee190b',
  route_id: 'a1b2c3d4-0000-4000-8000-000000000001',
  service_id: null,
  consumer_id: null,
  plugin_instance_name: null,
  protocols: ['http', 'https'],
};

async function start(name: string, config: unknown): Promise<{ Id: number; Config: unknown }> {
  const r = await c.request('plugin.StartInstance', [{ Name: name, Config: JSON.stringify(config) }]);
  assert.equal(r.error, null, `StartInstance must never fail: ${r.error}`);
  return r.result;
}

/** A HandleEvent reply's Data: the plugin's first PDK call (or "ret" when it made none). */
interface FirstCall {
  Method: string;
  Args: [unknown, string, ...unknown[]];
}

async function handle(id: number, phase = 'access'): Promise<{ EventId: number; Data: FirstCall }> {
  return c.call('HandleEvent', { InstanceId: id, EventName: phase });
}

/** The config the plugin's constructor received, as its access handler echoes it. */
async function echoedConfig(id: number): Promise<Record<string, unknown>> {
  const ev = await handle(id);
  assert.equal(ev.Data.Method, 'kong.response.set_header', JSON.stringify(ev.Data));
  assert.equal(ev.Data.Args[0], 'x-config');
  assert.equal((await c.call('Step', { EventId: ev.EventId })).Data, 'ret');
  return JSON.parse(ev.Data.Args[1]);
}

async function assertFailsClosed(id: number, reason: string, logPhase = true): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const ev = await handle(id);
    assert.equal(ev.Data.Method, 'kong.response.exit');
    assert.equal(ev.Data.Args[0], 500);
    assert.match(await c.callError('Step', { EventId: ev.EventId }), /no running event/);
    if (logPhase) assert.equal((await handle(id, 'log')).Data, 'ret');
  }
  const lines = ts.logLines.filter((l) => l.includes(`instance ${id} `));
  assert.equal(lines.length, 1, `logged ${lines.length} times: ${JSON.stringify(lines)}`);
  assert.match(lines[0]!, /^\[error\] /);
  assert.ok(lines[0]!.includes(reason), `${lines[0]} should name ${reason}`);
  assert.doesNotMatch(lines.join('\n'), /no plugin instance/i);
  assert.equal((await c.call('InstanceStatus', id)).Id, id);
}

test('{"message": 5} against message: string: an instance that ends access with 500, logs "config.message: must be string" once', async () => {
  const r = await start('echo-config', { message: 5 });
  assert.ok(Number.isInteger(r.Id) && r.Id > 0);
  await assertFailsClosed(r.Id, 'config.message: must be string');
});

test('a valid config reaches the constructor with the defaults applied (nested ones too)', async () => {
  const r = await start('echo-config', { message: 'hi', limits: {}, headers: [] });
  const config = await echoedConfig(r.Id);
  assert.deepEqual(config, { message: 'hi', greeting: 'hello', mode: 'safe', limits: { burst: 5 }, headers: {} });
  assert.deepEqual(r.Config, config, 'InstanceInfo.Config shows what the plugin got');
});

test("Kong's internal keys and nulls for unset optional fields never fail", async () => {
  for (const [name, config] of [
    [
      'echo-config',
      { message: null, greeting: 'hey', mode: 'fast', limits: null, headers: null, names: null, ...KONG_KEYS },
    ],
    ['ts-derived', { header: 'x-h', attempts: 2, label: null, ...KONG_KEYS }],
    ['with-sidecar', { color: 'red', ...KONG_KEYS }],
  ] as const) {
    const r = await start(name, config);
    const got = await echoedConfig(r.Id);
    assert.deepEqual(got, config, name);
  }
});

test('other rules fail closed too, each with its field and rule', async () => {
  for (const [name, config, reason] of [
    ['echo-config', { mode: 'slow' }, 'config.mode: must be one of "fast", "safe"'],
    ['echo-config', { limits: { burst: 101 } }, 'config.limits.burst: must be <= 100'],
    ['echo-config', { limits: { burst: 1, extra: 1 } }, 'config.limits.extra: unknown field'],
    ['ts-derived', { attempts: 0 }, 'config.attempts: must be >= 1'],
    ['ts-derived', { attempts: 1.5 }, 'config.attempts: must be integer'],
    ['with-sidecar', { color: 'blue' }, 'config.color: must be one of "red", "green"'],
  ] as const) {
    const r = await start(name, config);
    await assertFailsClosed(r.Id, `invalid config: ${reason}`, name === 'echo-config');
  }
});

test('a TypeScript plugin with no Schema export validates against its derived schema; a sidecar is used for a JS plugin', async () => {
  const derived = ts.server.state.plugins.get('ts-derived')!;
  assert.deepEqual(derived.schemaFields, [
    { header: { type: 'string', required: true, default: 'x-derived' } },
    { attempts: { type: 'integer', required: true, default: 3, between: [1, Number.MAX_SAFE_INTEGER] } },
    { label: { type: 'string' } },
  ]);
  assert.deepEqual(await echoedConfig((await start('ts-derived', {})).Id), { header: 'x-derived', attempts: 3 });
  assert.deepEqual(await echoedConfig((await start('with-sidecar', {})).Id), { color: 'green' });
});

test("each plugin's validator is compiled once, however many instances start", async () => {
  for (let i = 0; i < 5; i++) {
    await start('echo-config', { message: `m${i}` });
    await start('ts-derived', { attempts: i + 1 });
    await start('with-sidecar', {});
  }
  assert.equal(validatorCompileCount() - compiledBefore, 3);
  for (const name of ['echo-config', 'ts-derived', 'with-sidecar'])
    assert.ok(ts.server.state.plugins.get(name)!.configValidator, name);
});
