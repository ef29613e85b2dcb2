/**
 * Property-based robustness of a running server (fast-check): valid requests cut at random
 * offsets and joined, corrupted requests, truncated requests, random garbage and random
 * MessagePack values go to one connection, while a well-behaved connection beside it runs full
 * echo cycles that must be answered correctly every time. The server must write only
 * well-formed replies, never crash, and leave no unhandled rejection or exception.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { encodeRequest } from '../../src/wire/index.js';
import { startInstance, startTestServer, type KongConnection, type TestServer } from '../helpers/kong-client.js';
import { RawConnection } from '../helpers/raw-client.js';
import { kmap, kstr, kuint, krequest, mp } from '../wire/mp-bytes.js';

// Recorders for anything that escapes a handler anywhere in this process.
const escaped: unknown[] = [];
process.on('unhandledRejection', (e) => escaped.push(e));
process.on('uncaughtException', (e) => escaped.push(e));

let ts: TestServer;
/** Instances the fuzzed connection may address (the well-behaved one has its own). */
let fuzzIds: number[] = [];

// The well-behaved connection: full echo cycles in a loop until told to stop.
let goodStop = false;
let goodCycles = 0;
let goodError: unknown;
let goodLoop: Promise<void>;

async function runGoodConnection(good: KongConnection, id: number): Promise<void> {
  let n = 0;
  while (!goodStop) {
    const host = `good-${n++}`;
    const ev = await good.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.deepEqual(ev.Data, { Method: 'kong.request.get_header', Args: ['host'] });
    const s1 = await good.call('Step', { EventId: ev.EventId, Data: host });
    assert.equal(s1.EventId, ev.EventId);
    assert.deepEqual(s1.Data, { Method: 'kong.response.set_header', Args: ['x-echo', host] });
    const s2 = await good.call('Step', { EventId: ev.EventId });
    assert.equal(s2.Data, 'ret');
    goodCycles++;
    // Leave the event loop room for the fuzzed connection.
    await new Promise((r) => setImmediate(r));
  }
}

before(async () => {
  ts = await startTestServer();
  const setup = await ts.connect();
  fuzzIds = [
    await startInstance(setup, 'echo'),
    await startInstance(setup, 'noop'),
    await startInstance(setup, 'exit'),
    await startInstance(setup, 'throw'),
    await startInstance(setup, 'tag', { tag: 'f' }),
    await startInstance(setup, 'log'),
  ];
  const good = await ts.connect();
  const goodId = await startInstance(good, 'echo', { message: 'good' });
  goodLoop = runGoodConnection(good, goodId).catch((e: unknown) => {
    goodError = e;
  });
});

after(async () => {
  goodStop = true;
  await goodLoop;
  await ts.close();
});

// ---------------------------------------------------------------------------------------------
// Generators

const PHASES = ['access', 'log', 'rewrite', 'response', 'certificate', 'preread', 'header_filter'];
const NAMES = ['echo', 'noop', 'exit', 'throw', 'tag', 'log', 'probe', 'badconfig', 'nope', '__proto__', ''];
const STEP_METHODS = [
  'plugin.Step',
  'plugin.StepError',
  'plugin.StepMultiMap',
  'plugin.StepCredential',
  'plugin.StepRoute',
];
const OTHER_METHODS = ['plugin.Nope', 'foo.Bar', 'plugin.close', 'plugin.constructor', 'plugin.__proto__'];

const msgidArb = fc.oneof(fc.nat(200), fc.nat(0xffffffff));
const instanceIdArb = fc.oneof(
  fc.constantFrom(...[0, 1, 2]).map((k) => fuzzIds[k]!),
  fc.integer({ min: 3, max: 5 }).map((k) => fuzzIds[k]!),
  fc.integer({ min: -5, max: 2 ** 31 + 5 }),
);
const dataArb = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
);

/** One valid request, as bytes: the encoder's forms or Kong's hand-built forms. */
const requestArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .tuple(msgidArb, fc.constantFrom<unknown[][]>([], [0], [null]))
    .map(([id, p]) => Buffer.from(encodeRequest(id, 'plugin.GetStatus', p))),
  fc
    .tuple(msgidArb, fc.constantFrom(...NAMES))
    .map(([id, n]) => Buffer.from(encodeRequest(id, 'plugin.GetPluginInfo', [n]))),
  fc.tuple(msgidArb, instanceIdArb).map(([id, i]) => Buffer.from(encodeRequest(id, 'plugin.InstanceStatus', [i]))),
  fc
    .tuple(msgidArb, fc.constantFrom(...NAMES), fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 20 })))
    .map(([id, n, cfg]) => Buffer.from(encodeRequest(id, 'plugin.StartInstance', [{ Name: n, Config: cfg }]))),
  fc
    .tuple(msgidArb, instanceIdArb, fc.constantFrom(...PHASES))
    .map(([id, i, ph]) => Buffer.from(encodeRequest(id, 'plugin.HandleEvent', [{ InstanceId: i, EventName: ph }]))),
  // Kong's own forms: str16 for long strings, unsigned ints, fixmaps.
  fc
    .tuple(msgidArb, fc.integer({ min: 0, max: 5 }), fc.constantFrom(...PHASES))
    .map(([id, k, ph]) =>
      krequest(id, 'plugin.HandleEvent', kmap({ InstanceId: kuint(fuzzIds[k]!), EventName: kstr(ph) })),
    ),
  fc
    .tuple(msgidArb, fc.constantFrom(...STEP_METHODS), fc.nat(0x7fffffff), dataArb)
    .map(([id, m, e, d]) =>
      Buffer.from(encodeRequest(id, m, [d === undefined ? { EventId: e } : { EventId: e, Data: d }])),
    ),
  fc
    .tuple(msgidArb, fc.nat(0x7fffffff), fc.uint8Array({ maxLength: 300 }))
    .map(([id, e, b]) => krequest(id, 'plugin.Step', kmap({ EventId: kuint(e), Data: kstr(Buffer.from(b)) }))),
  fc
    .tuple(msgidArb, fc.constantFrom(...OTHER_METHODS), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 }))
    .map(([id, m, p]) => Buffer.from(encodeRequest(id, m, p))),
);

/** One piece of a hostile stream. */
const segmentArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: requestArb },
  {
    weight: 3,
    arbitrary: fc
      .tuple(requestArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }))
      .map(([req, edits]) => {
        const b = Buffer.from(req);
        for (const [pos, byte] of edits) b[pos % b.length] = byte;
        return b;
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(requestArb, fc.nat())
      .map(([req, cut]) => req.subarray(0, 1 + (cut % Math.max(1, req.length - 1)))),
  },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(encode(v))) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from([0xc1]),
      mp.nil(),
      mp.fixarr(mp.fixint(1), mp.fixint(2), mp.nil(), mp.nil()),
    ),
  },
);

/** Cuts `bytes` at the given offsets (taken modulo its length). */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  if (bytes.length === 0) return [];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((p) => p > 0).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

async function send(r: RawConnection, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    if (r.closed) return;
    r.write(chunk);
    await new Promise((res) => setImmediate(res));
  }
}

/** Everything the server wrote must be the greeting or a well-formed reply. */
function assertWellFormedOutput(r: RawConnection): unknown[][] {
  assert.equal(r.decodeError, undefined, `server wrote undecodable bytes: ${r.decodeError}`);
  const [greeting, ...rest] = r.messages as unknown[][];
  assert.deepEqual(greeting, [2, 'serverPid', process.pid]);
  for (const m of rest) {
    assert.ok(Array.isArray(m) && m.length === 4 && m[0] === 1, `not a reply: ${JSON.stringify(m)}`);
    assert.ok(Number.isInteger(m[1]) && (m[1] as number) >= 0, `bad msgid ${String(m[1])}`);
    // nil, or text: a str, or a bin when it quotes non-UTF-8 bytes Kong sent (Kong's unpacker
    // turns bin into a Lua string too, so err:lower() works); never a map or a number.
    const err = m[2];
    assert.ok(err === null || typeof err === 'string' || Buffer.isBuffer(err), `error is ${typeof err}`);
    // The contract phrase only ever appears in its exact form, for an instance id.
    const text = Buffer.isBuffer(err) ? err.toString('latin1') : err;
    if (typeof text === 'string' && /no plugin instance/i.test(text)) assert.match(text, /^No plugin instance -?\d+$/);
  }
  return rest;
}

/** Each property stops early past this (the file must stay well under 15 s). */
const TIME_LIMIT_MS = 5000;

describe('fuzzing a running server', () => {
  test('valid requests cut at random offsets and joined: one well-formed reply per request, msgids echoed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(requestArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (reqs, cuts) => {
          // Distinct msgids so each reply can be matched to its request.
          const msgids = reqs.map((_, k) => 1000 + k);
          const bytes = Buffer.concat(reqs.map((req, k) => withMsgid(req, msgids[k]!)));
          const r = await RawConnection.open(ts.socketPath);
          try {
            await send(r, cut(bytes, cuts));
            await r.replies(reqs.length, 3000);
            await r.quiet(5);
            const replies = assertWellFormedOutput(r);
            assert.deepEqual(replies.map((m) => m[1]).sort(), [...msgids].sort());
            assert.equal(r.closed, false);
          } finally {
            r.close();
          }
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    assert.equal(goodError, undefined, `the well-behaved connection failed: ${String(goodError)}`);
  });

  test('corrupted, truncated and garbage streams: only well-formed replies, no crash, the other connection unaffected', async () => {
    const cyclesBefore = goodCycles;
    await fc.assert(
      fc.asyncProperty(
        fc.array(segmentArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (segments, cuts) => {
          const r = await RawConnection.open(ts.socketPath);
          try {
            await send(r, cut(Buffer.concat(segments), cuts));
            await r.quiet(5);
            assertWellFormedOutput(r);
          } finally {
            r.close();
          }
          assert.equal(goodError, undefined, `the well-behaved connection failed: ${String(goodError)}`);
        },
      ),
      { numRuns: 600, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    assert.equal(goodError, undefined, `the well-behaved connection failed: ${String(goodError)}`);
    assert.ok(goodCycles > cyclesBefore, 'the well-behaved connection made no progress');
  });

  test('afterwards: no unhandled rejection or exception, nothing logged as an internal failure, server serves', async () => {
    // Let late replies (to closed connections) and handler tails run out.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(escaped.map(String), []);
    assert.deepEqual(
      ts.logLines.filter((l) => l.startsWith('[error]') && !/instance \d+ of \w+ cannot run/.test(l)),
      [],
    );
    assert.equal(goodError, undefined);
    const k = await ts.connect();
    assert.equal((await k.call('GetStatus')).Pid, process.pid);
    // Orphans left by the fuzzed HandleEvents are all freed by the TTL sweep.
    await ts.sweepEvents(Date.now() + 120_000);
    // The good connection may be mid-cycle: at most its one event remains.
    assert.ok((await ts.events()) <= 1, `${await ts.events()} events left`);
  });
});

/** The same request with another msgid: re-encoded from its decoded form. */
function withMsgid(req: Buffer, msgid: number): Buffer {
  // Requests start with 0x94 0x00 <msgid>; rebuilding the head keeps the rest byte for byte.
  assert.equal(req[0], 0x94);
  assert.equal(req[1], 0x00);
  const first = req[2]!;
  const len =
    first <= 0x7f ? 1 : first === 0xcc ? 2 : first === 0xcd ? 3 : first === 0xce ? 5 : first === 0xcf ? 9 : NaN;
  assert.ok(!Number.isNaN(len), `unexpected msgid form 0x${first.toString(16)}`);
  return Buffer.concat([Buffer.from([0x94, 0x00]), kuint(msgid), req.subarray(2 + len)]);
}
