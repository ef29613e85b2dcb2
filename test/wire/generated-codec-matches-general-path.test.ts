/**
 * Property tests: the codec generated from the IDL is invisible. Any hot request (any Step
 * method, any Data in any form, non-UTF-8 strs and "__proto__" keys included), whole or with
 * bytes mutated, decodes to what the general path gives; any EventReply encodes to the bytes
 * @msgpack/msgpack alone writes.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import fc from 'fast-check';
import { HOT_METHOD_NAMES } from '../../generated/wire-codec.js';
import { encodeResponse, encodeResponseGeneral, MessageDecoder, type DecodeResult } from '../../src/wire/index.js';
import { krequest, kstr, kuint, mp, type Bytes } from './mp-bytes.js';

const RUNS = 1000;

const rawBytes = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
const { node: dataBytes } = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    rawBytes.map((b) => kstr(b)), // often not UTF-8
    fc.string({ maxLength: 20 }).map((s) => mp.str16(s)),
    fc.nat().map(kuint),
    fc.integer({ min: -(2 ** 31), max: -1 }).map(mp.int32),
    fc.double({ noNaN: true }).map(mp.f64),
    rawBytes.map(mp.bin8),
    fc.constant(mp.nil()),
    fc.constant(mp.fixext4(1, Buffer.from([1, 2, 3, 4]))),
    tie('array'),
    tie('map'),
  ) as fc.Arbitrary<Bytes>,
  array: fc.array(tie('node') as fc.Arbitrary<Bytes>, { maxLength: 4 }).map((items) => mp.arr16(...items)),
  map: fc
    .array(
      fc.tuple(
        fc.oneof(
          rawBytes.map((b) => kstr(b)),
          fc.constant(kstr('__proto__')),
          fc.constant(mp.fixint(1)),
        ),
        tie('node') as fc.Arbitrary<Bytes>,
      ),
      { maxLength: 4 },
    )
    .map((pairs) => mp.fixmap(...pairs)),
}));

/** A hot request as Kong could write it: keys in any order, Data present or not. */
const hotRequest = fc
  .record({
    msgid: fc.nat(),
    method: fc.constantFrom(...HOT_METHOD_NAMES),
    id: fc.nat(),
    data: fc.option(dataBytes, { nil: undefined }),
    swap: fc.boolean(),
  })
  .map(({ msgid, method, id, data, swap }) => {
    const idKey = method === 'plugin.HandleEvent' ? 'InstanceId' : 'EventId';
    const dataKey = method === 'plugin.HandleEvent' ? 'EventName' : 'Data';
    const pairs: [Bytes, Bytes][] = [[kstr(idKey), kuint(id)]];
    if (data) pairs[swap ? 'unshift' : 'push']([kstr(dataKey), data]);
    return krequest(msgid, method, mp.fixmap(...pairs));
  });

function decodeWith(generatedReader: boolean, bytes: Buffer): DecodeResult[] {
  return new MessageDecoder({ generatedReader }).push(Buffer.from(bytes));
}

test('every hot request decodes through the generated reader to the general value', () => {
  fc.assert(
    fc.property(hotRequest, (bytes) => {
      const gen = new MessageDecoder();
      const a = gen.push(bytes);
      assert.equal(gen.generatedReads, 1);
      assert.deepStrictEqual(a, decodeWith(false, bytes));
    }),
    { numRuns: RUNS },
  );
});

test('hot requests with mutated bytes decode alike on both paths (or fail alike)', () => {
  fc.assert(
    fc.property(
      hotRequest.chain((bytes) =>
        fc.tuple(fc.constant(bytes), fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { maxLength: 3 })),
      ),
      ([bytes, edits]) => {
        const mutated = Buffer.from(bytes);
        for (const [at, b] of edits) mutated[at] = b;
        assert.deepStrictEqual(decodeWith(true, mutated), decodeWith(false, mutated));
      },
    ),
    { numRuns: RUNS },
  );
});

const { value: argValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }), // lone surrogates too
    fc.string({ maxLength: 300 }),
    rawBytes.map((b) =>
      b.toString('latin1').replace(/[\x80-\xff]/g, (c) => String.fromCharCode(0xdc00 + c.charCodeAt(0))),
    ),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    rawBytes,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
}));

test('every EventReply encodes to the bytes of the general encoder', () => {
  fc.assert(
    fc.property(
      fc.nat(),
      fc.nat(),
      fc.oneof(
        fc.constant<'ret'>('ret'),
        fc.record({ Method: fc.string({ maxLength: 40 }), Args: fc.array(argValue, { maxLength: 20 }) }),
      ),
      (msgid, EventId, Data) => {
        const reply = { EventId, Data };
        assert.deepStrictEqual(
          encodeResponse(msgid, null, reply),
          Buffer.from(encodeResponseGeneral(msgid, null, reply)),
        );
      },
    ),
    { numRuns: RUNS },
  );
});

test('error replies and other results encode to the bytes of the general encoder', () => {
  fc.assert(
    fc.property(
      fc.nat(),
      fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { nil: null }),
      argValue,
      (msgid, error, result) => {
        assert.deepStrictEqual(
          encodeResponse(msgid, error, result),
          Buffer.from(encodeResponseGeneral(msgid, error, result)),
        );
      },
    ),
    { numRuns: RUNS },
  );
});

test('hot requests back to back, cut at any offsets, decode as with the general path', () => {
  fc.assert(
    fc.property(
      fc.array(hotRequest, { minLength: 1, maxLength: 4 }).chain((reqs) => {
        const bytes = Buffer.concat(reqs);
        return fc.tuple(
          fc.constant(bytes),
          fc.array(fc.nat(bytes.length), { maxLength: 6 }).map((xs) => [...new Set(xs)].sort((a, b) => a - b)),
        );
      }),
      ([bytes, cuts]) => {
        const pieces: Buffer[] = [];
        let last = 0;
        for (const c of cuts) {
          pieces.push(bytes.subarray(last, c));
          last = c;
        }
        pieces.push(bytes.subarray(last));
        const gen = new MessageDecoder();
        const a = pieces.flatMap((p) => gen.push(Buffer.from(p)));
        assert.deepStrictEqual(a, decodeWith(false, bytes));
      },
    ),
    { numRuns: RUNS },
  );
});
