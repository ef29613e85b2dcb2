/**
 * The RPC methods over a real socket: test/CONFORMANCE.md, cases 10–18 (StartInstance, InstanceStatus,
 * CloseInstance, GetPluginInfo, GetStatus, SetPluginDir, unknown methods), with the rule of docs/protocol.md (Kong versions)
 * that StartInstance never fails for a config the plugin cannot run with.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encode } from '@msgpack/msgpack';
import { pluginInfo } from '../../src/plugins/info.js';
import { startInstance, startTestServer, type KongConnection, type TestServer } from '../helpers/kong-client.js';

/** An event reply's Data as these tests read it: a PDK call (or "ret", compared as a whole). */
type TestEventData = { Method: string; Args: unknown[] };

let ts: TestServer;
let c: KongConnection;
before(async () => {
  ts = await startTestServer();
  c = await ts.connect();
});
after(() => ts.close());

const INT32_MAX = 0x7fffffff;

async function handle(
  conn: KongConnection,
  id: unknown,
  phase = 'access',
): Promise<{ EventId: number; Data: TestEventData }> {
  return conn.call('HandleEvent', { InstanceId: id, EventName: phase });
}

function assertInt32Id(id: unknown): asserts id is number {
  assert.equal(typeof id, 'number');
  assert.ok(
    Number.isInteger(id) && (id as number) > 0 && (id as number) <= INT32_MAX,
    `id ${String(id)} is not a positive int32`,
  );
}

describe('StartInstance', () => {
  test("case 10: answers {Name, Id, Config, StartTime} with the decoded config, Kong's internal keys included", async () => {
    const config = {
      message: 'hi',
      __seq__: 5,
      __key__: 'plugins:echo::::',
      __plugin_id: '7a3c2b9e-1f7e-4c1e-9d1a-2a6f0e4f7b11',
      route_id: null,
      service_id: null,
      consumer_id: null,
      plugin_instance_name: null,
      __ws_id: '0dc6f45b-8f8d-40d2-a504-473544ee190b',
    };
    const before = Date.now() / 1000;
    const r = await c.request('plugin.StartInstance', [{ Name: 'echo', Config: JSON.stringify(config) }]);
    assert.equal(r.error, null);
    assert.deepEqual(Object.keys(r.result).sort(), ['Config', 'Id', 'Name', 'StartTime']);
    assert.equal(r.result.Name, 'echo');
    assertInt32Id(r.result.Id);
    assert.deepEqual(r.result.Config, config);
    assert.equal(typeof r.result.StartTime, 'number');
    assert.ok(
      r.result.StartTime >= before - 1 && r.result.StartTime <= Date.now() / 1000 + 1,
      `StartTime ${r.result.StartTime}`,
    );
    // Valid the moment the reply leaves: Kong's next request is a HandleEvent on it.
    const ev = await handle(c, r.result.Id);
    assert.equal(ev.Data.Method, 'kong.request.get_header');
    await c.call('Step', { EventId: ev.EventId, Data: 'h' });
    await c.call('Step', { EventId: ev.EventId });
  });

  test('case 11: an unknown Name is an error reply [1,id,"<string>",nil] that does not say "no plugin instance"', async () => {
    const r = await c.request('plugin.StartInstance', [{ Name: 'nope', Config: '{}' }]);
    assert.equal(typeof r.error, 'string');
    assert.equal(r.result, null);
    assert.match(r.error!, /nope/);
    assert.doesNotMatch(r.error!, /no plugin instance/i);
  });

  for (const [why, plugin, config, reason] of [
    ['a config that is not JSON ({bad)', 'badconfig', '{bad', /config is not valid JSON/],
    ['a constructor that throws', 'badconfig', '{}', /constructor threw: key is required/],
  ] as const) {
    test(`case 12 (docs/protocol.md, Kong versions): ${why} still gets an id; the instance fails closed and the reason is logged once`, async () => {
      const r = await c.request('plugin.StartInstance', [{ Name: plugin, Config: config }]);
      assert.equal(r.error, null);
      const id = r.result.Id;
      assertInt32Id(id);
      for (let i = 0; i < 3; i++) {
        // access: the first PDK call ends the request with a 500; the event is then over.
        const ev = await handle(c, id, 'access');
        assert.equal(ev.Data.Method, 'kong.response.exit');
        assert.equal(ev.Data.Args[0], 500);
        assert.match(await c.callError('Step', { EventId: ev.EventId }), /no running event/);
        // log: nothing to end, "ret".
        assert.equal((await handle(c, id, 'log')).Data, 'ret');
      }
      assert.equal(await ts.events(), 0);
      const lines = ts.logLines.filter((l) => l.includes(`instance ${id} `) && reason.test(l));
      assert.equal(lines.length, 1, `reason logged ${lines.length} times: ${JSON.stringify(lines)}`);
      assert.match(lines[0]!, /^\[error\]/);
      // Never "no plugin instance" for it.
      assert.equal((await c.call('InstanceStatus', id)).Id, id);
    });
  }

  test('case 12: a config the constructor accepts runs normally on the same plugin', async () => {
    const id = await startInstance(c, 'badconfig', { key: 'k' });
    const ev = await handle(c, id);
    assert.deepEqual(ev.Data, { Method: 'kong.response.set_header', Args: ['x-ok', '1'] });
    assert.equal((await c.call('Step', { EventId: ev.EventId })).Data, 'ret');
  });

  test('HandleEvent without InstanceId (Kong 2.4–3.0 after a failed start) is an error without "no plugin instance"', async () => {
    for (const params of [{ EventName: 'access' }, { InstanceId: null, EventName: 'access' }]) {
      const err = await c.callError('HandleEvent', params);
      assert.match(err, /without InstanceId/);
      assert.doesNotMatch(err, /no plugin instance/i);
    }
    const bad = await c.callError('HandleEvent', { InstanceId: 'x', EventName: 'access' });
    assert.doesNotMatch(bad, /no plugin instance/i);
  });

  test('case 13: the same config twice gives two distinct, usable ids', async () => {
    const config = { message: 'same', __seq__: 3 };
    const a = await startInstance(c, 'echo', config);
    const b = await startInstance(c, 'echo', config);
    assert.notEqual(a, b);
    for (const id of [a, b]) {
      const ev = await handle(c, id);
      assert.deepEqual((await c.call('Step', { EventId: ev.EventId, Data: `h${id}` })).Data.Args, ['x-echo', `h${id}`]);
      await c.call('Step', { EventId: ev.EventId });
    }
  });

  test('instance ids are int32 and start at a random offset (two servers give different first ids)', async () => {
    const firsts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const other = await startTestServer();
      try {
        const k = await other.connect();
        const ids = [await startInstance(k, 'noop'), await startInstance(k, 'noop'), await startInstance(k, 'echo')];
        for (const id of ids) assertInt32Id(id);
        assert.equal(new Set(ids).size, 3);
        firsts.push(ids[0]!);
      } finally {
        await other.close();
      }
    }
    assert.notEqual(firsts[0], firsts[1]);
    // Not the 0-based counter of go-pluginserver/kong-js-pdk (Kong/kong#8370).
    assert.ok(
      firsts.every((id) => id > 1000),
      `first ids ${firsts}`,
    );
  });
});

describe('InstanceStatus and CloseInstance', () => {
  test('case 14: InstanceStatus [I] answers {Name, Id, Config, StartTime}; an unknown id says exactly "No plugin instance <id>"', async () => {
    const id = await startInstance(c, 'echo', { message: 'status' });
    const st = await c.call('InstanceStatus', id);
    assert.deepEqual(Object.keys(st).sort(), ['Config', 'Id', 'Name', 'StartTime']);
    assert.equal(st.Name, 'echo');
    assert.equal(st.Id, id);
    assert.deepEqual(st.Config, { message: 'status' });
    assert.equal(await c.callError('InstanceStatus', 987654), 'No plugin instance 987654');
  });

  test('case 15: CloseInstance takes a bare id and answers the status; then HandleEvent and a second close say "No plugin instance <id>"', async () => {
    const id = await startInstance(c, 'echo', { message: 'bye' });
    const r = await c.request('plugin.CloseInstance', [id]);
    assert.equal(r.error, null);
    assert.equal(r.result.Name, 'echo');
    assert.equal(r.result.Id, id);
    assert.deepEqual(r.result.Config, { message: 'bye' });
    assert.equal(await c.callError('HandleEvent', { InstanceId: id, EventName: 'access' }), `No plugin instance ${id}`);
    assert.equal(await c.callError('InstanceStatus', id), `No plugin instance ${id}`);
    assert.equal(await c.callError('CloseInstance', id), `No plugin instance ${id}`);
  });

  test('CloseInstance with a map (not Kong\'s form) is a params error, not "no plugin instance"', async () => {
    const id = await startInstance(c, 'noop');
    const err = await c.callError('CloseInstance', { InstanceId: id });
    assert.match(err, /bad params/);
    assert.doesNotMatch(err, /no plugin instance/i);
    assert.equal((await c.call('InstanceStatus', id)).Id, id);
  });
});

describe('GetPluginInfo, GetStatus, SetPluginDir', () => {
  test('case 16: GetPluginInfo ["echo"] matches pluginInfo() and the dump form; an unknown name is an error', async () => {
    const info = await c.call('GetPluginInfo', 'echo');
    assert.deepEqual(info, pluginInfo(ts.plugins.get('echo')!));
    assert.deepEqual(info, {
      Name: 'echo',
      Phases: ['access'],
      Version: '0.1.0',
      Priority: 10,
      Schema: { name: 'echo', fields: [{ config: { type: 'record', fields: [{ message: { type: 'string' } }] } }] },
    });
    const err = await c.callError('GetPluginInfo', 'nope');
    assert.match(err, /nope/);
    assert.doesNotMatch(err, /no plugin instance/i);
  });

  test("case 17: GetStatus answers {Pid, Plugins} and lists each plugin's live instances", async () => {
    const e1 = await startInstance(c, 'echo', { message: 'one' });
    const e2 = await startInstance(c, 'echo', { message: 'two' });
    const n1 = await startInstance(c, 'noop');
    for (const params of [[], [0]]) {
      const r = await c.request('plugin.GetStatus', params);
      assert.equal(r.error, null);
      const status = r.result;
      assert.equal(status.Pid, process.pid);
      assert.deepEqual(Object.keys(status.Plugins).sort(), [...ts.plugins.keys()].sort());
      const echo = status.Plugins.echo;
      assert.equal(echo.Name, 'echo');
      for (const k of ['Modtime', 'LoadTime', 'LastStartInstance', 'LastCloseInstance'])
        assert.equal(typeof echo[k], 'number', k);
      const echoIds = echo.Instances.map((i: { Id: number; Config?: unknown }) => i.Id);
      assert.ok(echoIds.includes(e1) && echoIds.includes(e2), `echo instances ${echoIds}`);
      assert.deepEqual(echo.Instances.find((i: { Id: number; Config?: unknown }) => i.Id === e2).Config, {
        message: 'two',
      });
      assert.ok(status.Plugins.noop.Instances.some((i: { Id: number; Config?: unknown }) => i.Id === n1));
      assert.ok(!status.Plugins.noop.Instances.some((i: { Id: number; Config?: unknown }) => i.Id === e1));
      assert.equal(echo.Instances.length, await ts.instanceCountOf('echo'));
    }
    await c.call('CloseInstance', e1);
    const after = await c.call('GetStatus');
    assert.ok(!after.Plugins.echo.Instances.some((i: { Id: number; Config?: unknown }) => i.Id === e1));
    assert.ok(after.Plugins.echo.LastCloseInstance > 0);
  });

  test('case 17: SetPluginDir to a missing dir is an error; to a real one "ok", and its plugins are usable', async () => {
    // Another directory than the configured one is refused unless the operator allows it
    // (test/server/set-plugin-dir-is-refused.test.ts); this pins the allowed path.
    const own = await startTestServer({ allowSetPluginDir: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-dir-'));
    try {
      const k = await own.connect();
      const oldId = await startInstance(k, 'echo');
      const missing = path.join(dir, 'missing');
      const err = await k.callError('SetPluginDir', missing);
      assert.match(err, /does not exist/);
      assert.ok((await own.pluginNames()).includes('echo'));
      const file = path.join(dir, 'file.js');
      fs.writeFileSync(file, '');
      assert.match(await k.callError('SetPluginDir', file), /does not exist/);

      fs.writeFileSync(
        path.join(dir, 'hello.js'),
        "class Plugin { async access(kong) { await kong.response.setHeader('x-hello', 'world'); } }\n" +
          "module.exports = { Plugin, Version: '1.0.0', Priority: 5 };\n",
      );
      assert.equal(await k.call('SetPluginDir', dir), 'ok');
      assert.equal((await k.call('GetPluginInfo', 'hello')).Priority, 5);
      const id = await startInstance(k, 'hello');
      const ev = await handle(k, id);
      assert.deepEqual(ev.Data, { Method: 'kong.response.set_header', Args: ['x-hello', 'world'] });
      assert.equal((await k.call('Step', { EventId: ev.EventId })).Data, 'ret');
      // The directory's plugins replace the old set; an instance started before keeps serving.
      assert.match(await k.callError('StartInstance', { Name: 'echo', Config: '{}' }), /echo/);
      const old = await handle(k, oldId);
      assert.equal(old.Data.Method, 'kong.request.get_header');
      await k.call('Step', { EventId: old.EventId, Data: 'h' });
      await k.call('Step', { EventId: old.EventId });
    } finally {
      await own.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unknown methods', () => {
  const names = [
    'plugin.Nope',
    'foo.Bar',
    'Step',
    'plugin.step',
    'plugin.constructor',
    'plugin.__proto__',
    'plugin.close',
    'plugin.toString',
    'plugin.hasOwnProperty',
    'plugin.instance',
    'plugin.event',
    'plugin.state',
    'plugin.',
    '',
  ];
  for (const method of names) {
    test(`case 18: ${JSON.stringify(method)} is an error with the same msgid, no side effect, connection still usable`, async () => {
      const id = await startInstance(c, 'echo');
      const instances = await ts.instanceCount();
      const events = await ts.events();
      const plugins = await ts.pluginSetIdentity();
      for (const params of [[], [id], [{ InstanceId: id, EventName: 'access' }], ['/']]) {
        const r = await c.request(method, params, 4242);
        assert.equal(r.msgid, 4242);
        assert.equal(typeof r.error, 'string');
        assert.match(r.error!, /unknown method/);
        assert.doesNotMatch(r.error!, /no plugin instance/i);
        assert.equal(r.result, null);
      }
      assert.equal(await ts.instanceCount(), instances);
      assert.equal(await ts.events(), events);
      assert.equal(await ts.pluginSetIdentity(), plugins);
      assert.equal((await c.call('InstanceStatus', id)).Id, id);
      const other = await ts.connect();
      assert.equal((await other.call('GetStatus')).Pid, process.pid);
      other.close();
    });
  }

  test('case 18: a method name that is not a str (an integer, nil, a map) is an error with the same msgid', async () => {
    for (const method of [5, null, { a: 1 }] as unknown[]) {
      c.write(encode([0, 99, method, []]));
      const m = (await c.next()) as unknown[];
      assert.deepEqual(m.slice(0, 2), [1, 99]);
      assert.match(String(m[2]), /unknown method/);
    }
    assert.equal((await c.call('GetStatus')).Pid, process.pid);
  });
});
