/**
 * Golden bytes for every envelope the generated codec (generated/wire-codec.ts) specialises:
 * the HandleEvent request, every Step method's params, the EventReply with its PDK call, the
 * "ret" reply and the response envelope `[1, msgid, error, result]`. Each request is written
 * byte by byte as Kong writes it and must decode through the generated reader to exactly the
 * value the general path gives; each reply must be exactly the bytes written out here, which
 * are also what @msgpack/msgpack alone produces.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { HOT_METHOD_NAMES } from '../../generated/wire-codec.js';
import { encodeResponse, encodeResponseGeneral, MessageDecoder } from '../../src/wire/index.js';
import { kmap, krequest, kstr, kuint, mp, type Bytes } from './mp-bytes.js';

const CAFE_LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);

/** Decodes one message with and without the generated reader; both must agree. */
function decodeBoth(bytes: Bytes): { value: unknown; generated: boolean } {
  const gen = new MessageDecoder();
  const [a, ...restA] = gen.push(bytes);
  const [b, ...restB] = new MessageDecoder({ generatedReader: false }).push(Buffer.from(bytes));
  assert.deepEqual([restA, restB], [[], []]);
  assert.ok(a?.kind === 'message' && b?.kind === 'message', `${a?.kind} / ${b?.kind}`);
  assert.deepStrictEqual(a.value, b.value);
  return { value: a.value, generated: gen.generatedReads === 1 };
}

/** The bytes of a response, checked against the general encoder too. */
function response(msgid: number, error: string | null, result: unknown): Buffer {
  const bytes = encodeResponse(msgid, error, result);
  assert.deepStrictEqual(Buffer.from(encodeResponseGeneral(msgid, error, result)), bytes);
  return bytes;
}

const STEP_METHODS = [...HOT_METHOD_NAMES].filter((m) => m !== 'plugin.HandleEvent' && m !== 'plugin.StepError');

describe('requests: the generated reader gives the general value', () => {
  test('HandleEvent {InstanceId, EventName}, in both key orders and every integer form', () => {
    for (const id of [mp.fixint(3), mp.uint8(200), mp.uint16(4000), mp.uint32(677834970), mp.uint64(2 ** 40)]) {
      const bytes = krequest(1, 'plugin.HandleEvent', kmap({ InstanceId: id, EventName: kstr('access') }));
      const r = decodeBoth(bytes);
      assert.ok(r.generated);
      assert.equal((r.value as [0, number, string, [{ EventName: string }]])[3][0].EventName, 'access');
    }
    const swapped = krequest(70000, 'plugin.HandleEvent', kmap({ EventName: kstr('log'), InstanceId: mp.fixint(0) }));
    const r = decodeBoth(swapped);
    assert.ok(r.generated);
    assert.deepStrictEqual(r.value, [0, 70000, 'plugin.HandleEvent', [{ EventName: 'log', InstanceId: 0 }]]);
    assert.deepEqual(Object.keys((r.value as [0, number, string, [object]])[3][0]), ['EventName', 'InstanceId']);
  });

  test('HandleEvent without InstanceId (Kong 2.4–3.0 after a failed start)', () => {
    const r = decodeBoth(krequest(2, 'plugin.HandleEvent', kmap({ EventName: kstr('access') })));
    assert.ok(r.generated);
    assert.deepStrictEqual(r.value, [0, 2, 'plugin.HandleEvent', [{ EventName: 'access' }]]);
  });

  const datas: [string, Bytes | undefined, unknown][] = [
    ['no Data (nil result)', undefined, undefined],
    ['a header str', kstr('example.test'), 'example.test'],
    ['a str16 value', mp.str16('v'.repeat(300)), 'v'.repeat(300)],
    ['a non-UTF-8 str (surrogate escapes)', kstr(CAFE_LATIN1), 'caf\udce9'],
    ['a raw body as bin (exact bytes)', mp.bin32(CAFE_LATIN1), CAFE_LATIN1],
    ['an integer', mp.int32(-5), -5],
    ['a float', mp.f64(1.25), 1.25],
    ['nil', mp.nil(), null],
    ['true', mp.bool(true), true],
    [
      'a header multimap',
      kmap({ host: mp.fixarr(kstr('a')), 'x-list': mp.fixarr(kstr('1'), kstr('2')) }),
      { host: ['a'], 'x-list': ['1', '2'] },
    ],
    ['a map holding a non-UTF-8 str', kmap({ 'x-h': kstr(CAFE_LATIN1) }), { 'x-h': 'caf\udce9' }],
  ];

  for (const method of STEP_METHODS) {
    test(`${method} {EventId, Data} for every kind of Data`, () => {
      for (const [what, data, expected] of datas) {
        const fields: Record<string, Bytes> = { EventId: mp.uint32(2 ** 31 + 5) };
        if (data) fields['Data'] = data;
        const r = decodeBoth(krequest(300, method, kmap(fields)));
        assert.ok(r.generated, what);
        const params = (r.value as [0, number, string, [Record<string, unknown>]])[3][0];
        assert.equal(params['EventId'], 2 ** 31 + 5, what);
        assert.deepStrictEqual(params['Data'], expected, what);
      }
    });
  }

  test('a raw body decodes as a view of the message bytes, not a copy', () => {
    const body = Buffer.alloc(70000, 0xab);
    const bytes = krequest(4, 'plugin.Step', kmap({ EventId: mp.fixint(1), Data: mp.bin32(body) }));
    const [r] = new MessageDecoder().push(bytes);
    assert.ok(r?.kind === 'message');
    const data = (r.value as [0, number, string, [{ Data: Buffer }]])[3][0].Data;
    assert.ok(Buffer.isBuffer(data));
    assert.equal(data.buffer, bytes.buffer);
    assert.deepStrictEqual(data, body);
  });

  test('a "__proto__" key inside Data stays an own property and the prototype is untouched', () => {
    const bytes = krequest(
      5,
      'plugin.StepMultiMap',
      kmap({ EventId: mp.fixint(1), Data: mp.fixmap([kstr('__proto__'), kstr('x')]) }),
    );
    const r = decodeBoth(bytes);
    assert.ok(r.generated);
    const data = (r.value as [0, number, string, [{ Data: Record<string, unknown> }]])[3][0].Data;
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.deepEqual(Object.keys(data), ['__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(data, '__proto__')?.value, 'x');
  });

  test('StepError {EventId, Data: error text}', () => {
    const r = decodeBoth(krequest(6, 'plugin.StepError', kmap({ EventId: mp.fixint(9), Data: kstr('not found') })));
    assert.ok(r.generated);
    assert.deepStrictEqual(r.value, [0, 6, 'plugin.StepError', [{ EventId: 9, Data: 'not found' }]]);
  });

  test('anything off the IDL shape takes the general path with the same value', () => {
    const others: Bytes[] = [
      krequest(7, 'plugin.Step', kmap({ EventId: mp.fixint(1), Extra: mp.nil() })), // undeclared key
      krequest(7, 'plugin.Step', mp.fixmap([kstr('__proto__'), mp.fixint(1)])), // "__proto__" as a params key
      krequest(7, 'plugin.Step', kmap({ EventId: mp.fixint(1) }), kmap({})), // two params
      krequest(7, 'plugin.StartInstance', kmap({ Name: kstr('echo'), Config: kstr('{}') })), // a cold method
      krequest(7, 'plugin.Stepx', kmap({ EventId: mp.fixint(1) })), // unknown name of a hot length
      mp.fixarr(mp.fixint(0), mp.fixint(7), kstr('plugin.Step')), // three elements
      mp.fixarr(mp.fixint(1), mp.fixint(7), mp.nil(), mp.nil()), // a response
    ];
    for (const bytes of others) assert.equal(decodeBoth(bytes).generated, false, bytes.toString('hex'));
  });
});

describe('responses: exact bytes', () => {
  const EventId = (n: number): [Bytes, Bytes] => [kstr('EventId'), kuint(n)];
  const envelope = (msgid: Bytes, error: Bytes, result: Bytes): Buffer => mp.fixarr(mp.fixint(1), msgid, error, result);

  test('EventReply with its PDK call', () => {
    const reply = { EventId: 300, Data: { Method: 'kong.request.get_header', Args: ['host'] } };
    assert.deepStrictEqual(
      response(5, null, reply),
      envelope(
        mp.fixint(5),
        mp.nil(),
        mp.fixmap(EventId(300), [
          kstr('Data'),
          mp.fixmap([kstr('Method'), kstr('kong.request.get_header')], [kstr('Args'), mp.fixarr(kstr('host'))]),
        ]),
      ),
    );
  });

  test('the "ret" reply, with large msgid and EventId', () => {
    assert.deepStrictEqual(
      response(70000, null, { EventId: 2 ** 31, Data: 'ret' }),
      envelope(mp.uint32(70000), mp.nil(), mp.fixmap(EventId(2 ** 31), [kstr('Data'), kstr('ret')])),
    );
  });

  test('PDK call arguments in every form: escapes back to raw bytes, str8, UTF-8, numbers, nil, tables', () => {
    const args = ['caf\udce9', 'a'.repeat(40), 'über', -1, 1.5, 2 ** 40, true, null, undefined, { a: 1 }, [2]];
    const bytes = response(1, null, { EventId: 1, Data: { Method: 'kong.response.set_header', Args: args } });
    const argBytes = mp.fixarr(
      mp.bin8(CAFE_LATIN1),
      mp.str8('a'.repeat(40)),
      mp.fixstr('über'),
      mp.fixint(-1),
      mp.f64(1.5),
      mp.uint64(2 ** 40),
      mp.bool(true),
      mp.nil(),
      mp.nil(),
      kmap({ a: mp.fixint(1) }),
      mp.fixarr(mp.fixint(2)),
    );
    assert.deepStrictEqual(
      bytes,
      envelope(
        mp.fixint(1),
        mp.nil(),
        mp.fixmap(EventId(1), [
          kstr('Data'),
          mp.fixmap([kstr('Method'), kstr('kong.response.set_header')], [kstr('Args'), argBytes]),
        ]),
      ),
    );
  });

  test('an exit with a 70 kB body and 20 arguments uses the long forms', () => {
    const body = 'x'.repeat(70000);
    const args = [403, body, ...Array.from({ length: 18 }, (_, i) => i)];
    const bytes = response(2, null, { EventId: 1, Data: { Method: 'kong.response.exit', Args: args } });
    const argBytes = mp.arr16(mp.uint16(403), mp.str32(body), ...args.slice(2).map((n) => mp.fixint(n as number)));
    assert.ok(bytes.includes(argBytes));
  });

  test('an error reply and a result of another method', () => {
    assert.deepStrictEqual(
      response(3, 'no running event 9', null),
      envelope(mp.fixint(3), kstr('no running event 9'), mp.nil()),
    );
    const info = { Name: 'echo', Id: 1, Config: { a: 'caf\udce9' }, StartTime: 1.5 };
    assert.deepStrictEqual(
      response(4, null, info),
      envelope(
        mp.fixint(4),
        mp.nil(),
        kmap({
          Name: kstr('echo'),
          Id: mp.fixint(1),
          Config: kmap({ a: mp.bin8(CAFE_LATIN1) }),
          StartTime: mp.f64(1.5),
        }),
      ),
    );
  });

  test('an EventReply-like object with another key is written whole by the general encoder', () => {
    const odd = { EventId: 1, Data: 'ret', Extra: 2 };
    assert.deepStrictEqual(
      response(6, null, odd),
      envelope(mp.fixint(6), mp.nil(), kmap({ EventId: mp.fixint(1), Data: kstr('ret'), Extra: mp.fixint(2) })),
    );
  });
});
