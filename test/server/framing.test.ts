/**
 * Connection and framing over a real socket: test/CONFORMANCE.md, cases 1–9 (greeting, probes,
 * sequential and pipelined requests, split writes, a 5 MiB body, non-UTF-8 bytes, garbage,
 * msgids per connection), plus malformed requests, oversized declarations and "__proto__" keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { encodeRequest } from '../../src/wire/index.js';
import { startInstance, startTestServer, type KongConnection, type TestServer } from '../helpers/kong-client.js';
import { GREETING_PREFIX, RawConnection } from '../helpers/raw-client.js';
import { kmap, kstr, kuint, krequest, mp } from '../wire/mp-bytes.js';

/** An event reply's Data as these tests read it: a PDK call (or "ret", compared as a whole). */
type TestEventData = { Method: string; Args: unknown[] };
/** A reply's result as these tests read it. */
type TestReplyResult = { Id: number; Name: string; EventId: number; Data: TestEventData };
/** A decoded message as these tests read it. */
type TestMessage = [number, number, string | null, TestReplyResult];

let ts: TestServer;
let c: KongConnection;
const raws: RawConnection[] = [];

before(async () => {
  ts = await startTestServer();
  c = await ts.connect();
});
after(async () => {
  for (const r of raws) r.close();
  await ts.close();
});

async function raw(server: TestServer = ts): Promise<RawConnection> {
  const r = await RawConnection.open(server.socketPath);
  raws.push(r);
  return r;
}

/** A fresh connection can still be served. */
async function assertServerWorks(server: TestServer = ts): Promise<void> {
  const k = await server.connect();
  const status = await k.call('GetStatus');
  assert.equal(status.Pid, process.pid);
  k.close();
}

/** No log line at error level (a crash path would log one). */
function assertNoErrorLogged(server: TestServer = ts): void {
  assert.deepEqual(
    server.logLines.filter((l) => l.startsWith('[error]')),
    [],
  );
}

/** Sends one request on a raw connection; returns the reply and exactly the bytes it took. */
async function rawCall(r: RawConnection, bytes: Uint8Array): Promise<{ reply: unknown[]; bytes: Buffer }> {
  const before = r.byteCount;
  const n = (await r.replies(0)).length;
  r.write(bytes);
  const replies = await r.replies(n + 1);
  await r.quiet(10);
  return { reply: replies[n]!, bytes: r.bytes().subarray(before) };
}

/** Writes `bytes` on a KongConnection's socket in pieces of `size`, yielding between them. */
async function writeInChunks(k: KongConnection, bytes: Uint8Array, size: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) {
    k.write(bytes.subarray(i, Math.min(bytes.length, i + size)));
    await new Promise((r) => setImmediate(r));
  }
}

async function handle(
  k: KongConnection,
  id: number,
  phase = 'access',
): Promise<{ EventId: number; Data: TestEventData }> {
  return k.call('HandleEvent', { InstanceId: id, EventName: phase });
}

describe('framing', () => {
  test('case 1: the greeting [2,"serverPid",<pid int>] comes exactly once, then nothing', async () => {
    const r = await raw();
    await r.quiet(200);
    const bytes = r.bytes();
    assert.deepEqual(bytes.subarray(0, GREETING_PREFIX.length), GREETING_PREFIX);
    assert.deepEqual(r.messages, [[2, 'serverPid', process.pid]]);
    // The pid is a msgpack integer (positive fixint or uint16/uint32), and nothing follows it.
    const pidForm = bytes[GREETING_PREFIX.length]!;
    assert.ok(pidForm <= 0x7f || pidForm === 0xcd || pidForm === 0xce, `pid form 0x${pidForm.toString(16)}`);
    const pidLen = pidForm <= 0x7f ? 1 : pidForm === 0xcd ? 3 : 5;
    assert.equal(bytes.length, GREETING_PREFIX.length + pidLen);
    assert.equal(r.closed, false);
  });

  test('case 2: connect-and-close at once (Kong 3.1–3.4 readiness probe) leaves the server fine', async () => {
    for (let i = 0; i < 50; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(ts.socketPath, () => {
          if (i % 2) s.destroy();
          else s.end();
        });
        s.resume(); // drain the greeting so 'end' (and then 'close') can come
        s.on('error', () => {});
        s.on('close', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 20));
    await assertServerWorks();
    assertNoErrorLogged();
  });

  test('case 3: two requests in sequence on one connection get their answers and nothing else', async () => {
    const id = await startInstance(c, 'echo');
    const r = await raw();
    await r.quiet(20);
    const greeting = r.byteCount;
    const a = await rawCall(r, encodeRequest(1, 'plugin.InstanceStatus', [id]));
    assert.equal(a.reply[1], 1);
    assert.equal(a.reply[2], null);
    assert.equal((a.reply[3] as TestReplyResult).Id, id);
    const b = await rawCall(r, encodeRequest(2, 'plugin.InstanceStatus', [id]));
    assert.equal(b.reply[1], 2);
    assert.equal((b.reply[3] as TestReplyResult).Id, id);
    await r.quiet(50);
    // Greeting + reply 1 + reply 2, byte for byte: nothing between or after them.
    assert.equal(r.byteCount, greeting + a.bytes.length + b.bytes.length);
    assert.equal(r.messages.length, 3);
  });

  test('case 4: a request written one byte per write with 2 ms gaps gets one correct reply', async () => {
    const id = await startInstance(c, 'echo');
    const r = await raw();
    await r.writeSlowly(encodeRequest(77, 'plugin.InstanceStatus', [id]), 1, 2);
    const [reply] = await r.replies(1);
    assert.equal(reply![0], 1);
    assert.equal(reply![1], 77);
    assert.equal(reply![2], null);
    assert.equal((reply![3] as TestReplyResult).Id, id);
    await r.quiet(30);
    assert.equal((await r.replies(1)).length, 1);
    assert.equal(r.closed, false);
  });

  test('case 5: two requests in one write are both answered, each with its own msgid', async () => {
    const id = await startInstance(c, 'echo');
    const r = await raw();
    r.write(
      Buffer.concat([
        encodeRequest(11, 'plugin.InstanceStatus', [id]),
        encodeRequest(12, 'plugin.GetPluginInfo', ['echo']),
      ]),
    );
    const replies = await r.replies(2);
    await r.quiet(30);
    assert.equal(replies.length, 2);
    const byId = new Map(replies.map((m) => [m[1], m]));
    assert.equal((byId.get(11)![3] as TestReplyResult).Id, id);
    assert.equal((byId.get(12)![3] as TestReplyResult).Name, 'echo');
    assert.equal(byId.get(11)![2], null);
    assert.equal(byId.get(12)![2], null);
  });

  for (const [form, encode] of [
    ['bin32 (Kong 3.x)', (b: Buffer) => mp.bin32(b)],
    ['str32 (Kong 2.x)', (b: Buffer) => mp.str32(b)],
  ] as const) {
    test(`case 6: a 5 MiB raw body as ${form} arriving in chunks reaches the plugin as a Buffer with the exact bytes`, async () => {
      const body = randomBytes(5 * 1024 * 1024);
      const sha = createHash('sha256').update(body).digest('hex');
      const id = await startInstance(c, 'rawbody');
      const r1 = await handle(c, id);
      assert.equal(r1.Data.Method, 'kong.request.get_raw_body');
      const step = krequest(901, 'plugin.Step', kmap({ EventId: kuint(r1.EventId), Data: encode(body) }));
      await writeInChunks(c, step, 64 * 1024 + 7);
      const reply = (await c.next(10_000)) as unknown[];
      assert.equal(reply[1], 901);
      assert.equal(reply[2], null);
      assert.deepEqual((reply[3] as TestReplyResult).Data, {
        Method: 'kong.response.set_header',
        Args: ['x-body', `buffer:${body.length}:${sha}`],
      });
      assert.equal((await c.call('Step', { EventId: r1.EventId })).Data, 'ret');
    });
  }

  test('case 7: a non-UTF-8 header value (63 61 66 e9) reaches the plugin and leaves as the same four bytes', async () => {
    const bad = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const r = await raw();
    const started = await rawCall(r, encodeRequest(1, 'plugin.StartInstance', [{ Name: 'echo', Config: '{}' }]));
    const id = (started.reply[3] as TestReplyResult).Id;
    const ev = await rawCall(r, encodeRequest(2, 'plugin.HandleEvent', [{ InstanceId: id, EventName: 'access' }]));
    const eventId = (ev.reply[3] as TestReplyResult).EventId;
    assert.deepEqual((ev.reply[3] as TestReplyResult).Data, { Method: 'kong.request.get_header', Args: ['host'] });

    const step = await rawCall(r, krequest(3, 'plugin.Step', kmap({ EventId: kuint(eventId), Data: kstr(bad) })));
    assert.equal(step.reply[1], 3);
    assert.equal(step.reply[2], null);
    const args = (step.reply[3] as TestReplyResult).Data.Args;
    assert.equal(args[0], 'x-echo');
    // On the wire: the four bytes as str (a4 …) or bin (c4 04 …), never a U+FFFD replacement.
    const asStr = Buffer.concat([Buffer.from([0xa4]), bad]);
    const asBin = Buffer.concat([Buffer.from([0xc4, 0x04]), bad]);
    assert.ok(step.bytes.includes(asStr) || step.bytes.includes(asBin), `reply bytes ${step.bytes.toString('hex')}`);
    assert.ok(!step.bytes.includes(Buffer.from([0xef, 0xbf, 0xbd])));
    const value = args[1];
    assert.ok(Buffer.isBuffer(value) ? value.equals(bad) : value === 'caf\udce9', `decoded value ${String(value)}`);

    const end = await rawCall(r, krequest(4, 'plugin.Step', kmap({ EventId: kuint(eventId) })));
    assert.equal((end.reply[3] as TestReplyResult).Data, 'ret');

    // What the plugin itself holds: a 4-character string whose last unit stands for byte e9.
    const pid = await startInstance(c, 'probe', { call: 'kong.request.getHeader', args: ['x'] });
    const p1 = await handle(c, pid);
    c.write(krequest(950, 'plugin.Step', kmap({ EventId: kuint(p1.EventId), Data: kstr(bad) })));
    const got = (await c.next()) as TestMessage;
    assert.deepEqual(got[3].Data.Args, ['x-got', 'string:4:"caf\\udce9"']);
    await c.call('Step', { EventId: p1.EventId });
  });

  const garbage: [string, Buffer][] = [
    ['reserved byte 0xc1', Buffer.from([0xc1])],
    ['0xc1 after a valid fixarray header', Buffer.from([0x94, 0x00, 0x01, 0xc1])],
    ['a positive fixint', mp.fixint(7)],
    ['a map', kmap({ a: mp.fixint(1) })],
    ['a str', kstr('hello')],
    ['nil', mp.nil()],
    ['an array of one element', mp.fixarr(mp.fixint(0))],
  ];
  for (const [what, bytes] of garbage) {
    test(`case 8: garbage (${what}) closes the connection or gets an error reply; other connections keep working`, async () => {
      const other = await ts.connect();
      await other.call('GetStatus');
      const r = await raw();
      r.write(bytes);
      assert.ok(
        await r.until(() => r.closed || r.messages.some((m) => Array.isArray(m) && m[0] === 1), 1000),
        'neither closed nor answered',
      );
      for (const m of r.messages.slice(1) as unknown[][]) {
        assert.equal(m[0], 1);
        assert.equal(typeof m[2], 'string');
      }
      assert.equal(r.decodeError, undefined);
      // Pinned: these are closed without a reply (no msgid to answer to).
      assert.ok(await r.waitClosed(1000));
      await other.call('GetStatus');
      await assertServerWorks();
    });
  }

  test('case 9: the same msgid used at once on two connections gets each its own answer', async () => {
    const id = await startInstance(c, 'echo');
    const a = await ts.connect();
    const b = await ts.connect();
    // Both connections run the full cycle with msgids 1, 2, 3, in lock step.
    const [ea, eb] = await Promise.all([
      a.request('plugin.HandleEvent', [{ InstanceId: id, EventName: 'access' }], 1),
      b.request('plugin.HandleEvent', [{ InstanceId: id, EventName: 'access' }], 1),
    ]);
    assert.notEqual(ea.result.EventId, eb.result.EventId);
    const [sa, sb] = await Promise.all([
      a.request('plugin.Step', [{ EventId: ea.result.EventId, Data: 'host-a' }], 2),
      b.request('plugin.Step', [{ EventId: eb.result.EventId, Data: 'host-b' }], 2),
    ]);
    assert.deepEqual(sa.result.Data.Args, ['x-echo', 'host-a']);
    assert.deepEqual(sb.result.Data.Args, ['x-echo', 'host-b']);
    const [ra, rb] = await Promise.all([
      a.request('plugin.Step', [{ EventId: ea.result.EventId }], 3),
      b.request('plugin.Step', [{ EventId: eb.result.EventId }], 3),
    ]);
    assert.equal(ra.result.Data, 'ret');
    assert.equal(rb.result.Data, 'ret');
    // Different methods under one msgid at once.
    const [x, y] = await Promise.all([
      a.request('plugin.InstanceStatus', [id], 9),
      b.request('plugin.GetPluginInfo', ['noop'], 9),
    ]);
    assert.equal(x.result.Id, id);
    assert.equal(y.result.Name, 'noop');
  });
});

describe('malformed and oversized requests', () => {
  test('a str32 declaring 200 MiB (over the default limit) gets an error reply with its msgid, then the connection closes', async () => {
    const r = await raw();
    // [0, 31, "plugin.Step", [{EventId: 1, Data: <str32 header of 200 MiB, no payload>}]]
    const head = Buffer.concat([
      Buffer.from([0x94, 0x00]),
      kuint(31),
      kstr('plugin.Step'),
      Buffer.from([0x91, 0x82]),
      kstr('EventId'),
      mp.fixint(1),
      kstr('Data'),
      Buffer.from([0xdb, 0x0c, 0x80, 0x00, 0x00]), // 209,715,200 bytes declared
      Buffer.alloc(1000, 0x61),
    ]);
    r.write(head);
    const [reply] = await r.replies(1);
    assert.equal(reply![0], 1);
    assert.equal(reply![1], 31);
    assert.match(String(reply![2]), /exceeds the limit of 134217728 bytes/);
    assert.equal(reply![3], null);
    assert.ok(await r.waitClosed());
    await assertServerWorks();
  });

  test('with a small maxMessageBytes, a larger declared bin gets the error reply and a close; smaller messages still work', async () => {
    const small = await startTestServer({ maxMessageBytes: 64 * 1024 });
    try {
      const k = await small.connect();
      const id = await startInstance(k, 'rawbody');
      const ev = await handle(k, id);
      // Just under the limit: served.
      const ok = randomBytes(60 * 1024);
      k.write(krequest(5, 'plugin.Step', kmap({ EventId: kuint(ev.EventId), Data: mp.bin32(ok) })));
      const okReply = (await k.next()) as TestMessage;
      assert.equal(okReply[2], null);
      assert.match(String(okReply[3].Data.Args[1]), new RegExp(`^buffer:${ok.length}:`));
      await k.call('Step', { EventId: ev.EventId });

      const r = await raw(small);
      const ev2 = (await rawCall(r, encodeRequest(1, 'plugin.HandleEvent', [{ InstanceId: id, EventName: 'access' }])))
        .reply[3] as TestReplyResult;
      const over = krequest(
        2,
        'plugin.Step',
        kmap({ EventId: kuint(ev2.EventId), Data: mp.bin32(Buffer.alloc(100 * 1024)) }),
      );
      r.write(over.subarray(0, 40)); // the declaration alone is enough to refuse it
      const replies = await r.replies(2);
      assert.equal(replies[1]![1], 2);
      assert.match(String(replies[1]![2]), /message of \d+ bytes exceeds the limit of 65536 bytes/);
      assert.ok(await r.waitClosed());
      await assertServerWorks(small);
    } finally {
      await small.close();
    }
  });

  test('a top-level array32 declaring 4 G elements is closed without a reply (no msgid yet)', async () => {
    const r = await raw();
    r.write(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]));
    assert.ok(await r.waitClosed());
    assert.equal(r.messages.length, 1); // the greeting only
    await assertServerWorks();
  });

  test('wrong arity [0,1,"plugin.GetStatus"] gets an error reply with its msgid and the connection stays usable', async () => {
    const r = await raw();
    const { reply } = await rawCall(r, mp.fixarr(mp.fixint(0), mp.fixint(1), kstr('plugin.GetStatus')));
    assert.deepEqual(reply.slice(0, 2), [1, 1]);
    assert.match(String(reply[2]), /malformed request/);
    const five = await rawCall(
      r,
      mp.fixarr(mp.fixint(0), mp.fixint(2), kstr('plugin.GetStatus'), mp.fixarr(), mp.nil()),
    );
    assert.deepEqual(five.reply.slice(0, 2), [1, 2]);
    assert.equal(typeof five.reply[2], 'string');
    const again = await rawCall(r, encodeRequest(3, 'plugin.GetStatus', []));
    assert.equal(again.reply[2], null);
  });

  test('params that are not an array get an error reply and the connection stays usable', async () => {
    const r = await raw();
    for (const [msgid, params] of [
      [1, kmap({ Name: kstr('echo') })],
      [2, mp.nil()],
      [3, kstr('echo')],
    ] as const) {
      const { reply } = await rawCall(
        r,
        mp.fixarr(mp.fixint(0), mp.fixint(msgid), kstr('plugin.GetPluginInfo'), params),
      );
      assert.deepEqual(reply.slice(0, 2), [1, msgid]);
      assert.match(String(reply[2]), /params must be an array/);
      assert.equal(reply[3], null);
    }
    assert.equal((await rawCall(r, encodeRequest(4, 'plugin.GetPluginInfo', ['echo']))).reply[2], null);
  });

  for (const [what, msgid] of [
    ['a str', kstr('1')],
    ['a float', mp.f64(1.5)],
    ['negative', mp.fixint(-1)],
    ['nil', mp.nil()],
  ] as const) {
    test(`a msgid that is not a non-negative integer (${what}) closes the connection; others keep working`, async () => {
      const r = await raw();
      r.write(mp.fixarr(mp.fixint(0), msgid, kstr('plugin.GetStatus'), mp.fixarr()));
      assert.ok(await r.waitClosed(1000));
      assert.equal(r.messages.length, 1);
      await assertServerWorks();
    });
  }

  test('a response-shaped [1,…] sent to the server gets an error reply with that msgid; the connection stays usable', async () => {
    const r = await raw();
    const { reply } = await rawCall(r, mp.fixarr(mp.fixint(1), mp.fixint(7), mp.nil(), kstr('ok')));
    assert.deepEqual(reply.slice(0, 2), [1, 7]);
    assert.match(String(reply[2]), /malformed request/);
    assert.equal((await rawCall(r, encodeRequest(8, 'plugin.GetStatus', []))).reply[2], null);
  });

  test('a notification-shaped [2,"serverPid",1] sent to the server closes the connection', async () => {
    const r = await raw();
    r.write(mp.fixarr(mp.fixint(2), kstr('serverPid'), mp.fixint(1)));
    assert.ok(await r.waitClosed(1000));
    assert.equal(r.messages.length, 1);
    await assertServerWorks();
  });
});

describe('"__proto__" keys are inert data', () => {
  const protoKey = (v: Buffer): [Buffer, Buffer] => [kstr('__proto__'), v];

  test('in Step Data and in the StartInstance config, "__proto__" reaches the plugin as an own key; no prototype changes', async () => {
    const config = '{"__proto__":{"polluted":"config"},"x":1}';
    const started = await c.call('StartInstance', { Name: 'proto', Config: config });
    // The reply's Config carries the key back as data too.
    assert.equal(Object.getPrototypeOf(started.Config), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(started.Config, '__proto__'));
    assert.equal(started.Config.polluted, undefined);

    const ev = await handle(c, started.Id);
    assert.equal(ev.Data.Method, 'kong.request.get_headers');
    const headers = mp.fixmap(protoKey(kmap({ polluted: mp.fixarr(kstr('data')) })), [
      kstr('host'),
      mp.fixarr(kstr('h')),
    ]);
    c.write(krequest(960, 'plugin.StepMultiMap', kmap({ EventId: kuint(ev.EventId), Data: headers })));
    const reply = (await c.next()) as TestMessage;
    assert.equal(reply[2], null);
    assert.equal(reply[3].Data.Args[0], 'x-proto');
    assert.deepEqual(JSON.parse(String(reply[3].Data.Args[1])), {
      dataPlain: true,
      dataOwn: true,
      dataValue: { polluted: ['data'] },
      dataInherits: false,
      configPlain: true,
      configOwn: true,
      configValue: { polluted: 'config' },
      configInherits: false,
      globalPolluted: false,
    });
    await c.call('Step', { EventId: ev.EventId });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('a "__proto__" key in the Step params map cannot supply an inherited Data', async () => {
    const id = await startInstance(c, 'probe', { call: 'kong.request.getHeader', args: ['x'] });
    const ev = await handle(c, id);
    c.write(
      krequest(
        961,
        'plugin.Step',
        mp.fixmap([kstr('EventId'), kuint(ev.EventId)], protoKey(kmap({ Data: kstr('sneaky') }))),
      ),
    );
    const reply = (await c.next()) as TestMessage;
    assert.equal(reply[2], null);
    assert.deepEqual(reply[3].Data.Args, ['x-got', 'undefined']);
    await c.call('Step', { EventId: ev.EventId });
  });

  test('a "__proto__" key in the config cannot satisfy the constructor: the instance fails closed', async () => {
    const started = await c.call('StartInstance', { Name: 'badconfig', Config: '{"__proto__":{"key":"k"}}' });
    const ev = await handle(c, started.Id);
    assert.equal(ev.Data.Method, 'kong.response.exit');
    assert.equal(ev.Data.Args[0], 500);
  });
});
