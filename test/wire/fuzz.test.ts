/** Property tests: any encodable value survives any split of the stream, and
 * no byte stream can make push() throw, hang or depend on how it was split. */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import fc from 'fast-check';
import { Encoder } from '@msgpack/msgpack';
import { decodeLossless, MessageDecoder, type DecodeResult } from '../../src/wire/index.js';
import { cutAt, pushAll } from './decode-helpers.js';
import { corpus, kstr, mp, type Bytes } from './mp-bytes.js';

const RUNS = 1000;

/** What a decoded value must look like: bin as Buffer, plain objects. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      Object.defineProperty(out, k, {
        value: normalize((v as Record<string, unknown>)[k]),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** Sorted distinct cut offsets inside (0, len). */
const cuts = (len: number) =>
  fc
    .array(fc.nat(), { maxLength: 8 })
    .map((xs) => (len < 2 ? [] : [...new Set(xs.map((x) => 1 + (x % (len - 1))))].sort((a, b) => a - b)));

const { value: jsValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double().map((x) => (Object.is(x, -0) ? 0 : x)),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.uint8Array({ maxLength: 300 }),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), tie('value'), {
    maxKeys: 5,
    noNullPrototype: true,
  }),
}));

test('values encoded by @msgpack/msgpack and split at random offsets decode equal', () => {
  const encoder = new Encoder();
  fc.assert(
    fc.property(
      fc.array(jsValue, { minLength: 1, maxLength: 4 }).chain((values) => {
        const bytes = Buffer.concat(values.map((v) => encoder.encode(v)));
        return fc.tuple(fc.constant(values), fc.constant(bytes), cuts(bytes.length));
      }),
      ([values, bytes, offsets]) => {
        const results = pushAll(cutAt(bytes, offsets));
        assert.deepStrictEqual(
          results,
          values.map((v) => ({ kind: 'message', value: normalize(v) })),
        );
      },
    ),
    { numRuns: RUNS },
  );
});

/** Byte-level values in Kong's forms (and others), with non-UTF-8 strings. */
interface Raw {
  bytes: Bytes;
  expected: unknown;
}

const rawStr = fc
  .tuple(fc.uint8Array({ maxLength: 40 }), fc.constantFrom('kong', 'str8', 'str16', 'str32'))
  .map(([b, form]): Raw => {
    const d = Buffer.from(b);
    const bytes =
      form === 'kong' ? kstr(d) : form === 'str8' ? mp.str8(d) : form === 'str16' ? mp.str16(d) : mp.str32(d);
    return { bytes, expected: decodeLossless(d, 0, d.length) };
  });

const rawScalar: fc.Arbitrary<Raw> = fc.oneof(
  rawStr,
  fc.bigInt(0n, 2n ** 64n - 1n).map((n): Raw => ({ bytes: mp.uint64(n), expected: Number(n) })),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map((n): Raw => ({ bytes: mp.int64(n), expected: Number(n) })),
  fc.integer({ min: -32, max: 127 }).map((n): Raw => ({ bytes: mp.fixint(n), expected: n })),
  fc.float({ noNaN: true }).map((x): Raw => ({ bytes: mp.f32(x), expected: Math.fround(x) })),
  fc.double({ noNaN: true }).map((x): Raw => ({ bytes: mp.f64(x), expected: x })),
  fc
    .tuple(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(mp.bin8, mp.bin16, mp.bin32))
    .filter(([b, form]) => form !== mp.bin8 || b.length < 256)
    .map(([b, form]): Raw => ({ bytes: form(b), expected: Buffer.from(b) })),
  fc.constant<Raw>({ bytes: mp.nil(), expected: null }),
);

const { node: rawValue } = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, rawScalar, tie('array'), tie('map')) as fc.Arbitrary<Raw>,
  array: fc.array(tie('node') as fc.Arbitrary<Raw>, { maxLength: 5 }).map((items): Raw => ({
    bytes: mp.arr16(...items.map((i) => i.bytes)),
    expected: items.map((i) => i.expected),
  })),
  map: fc.array(fc.tuple(rawStr, tie('node') as fc.Arbitrary<Raw>), { maxLength: 5 }).map((pairs): Raw => {
    const expected: Record<string, unknown> = {};
    for (const [k, v] of pairs) {
      Object.defineProperty(expected, k.expected as string, {
        value: v.expected,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return { bytes: mp.fixmap(...pairs.map(([k, v]): [Bytes, Bytes] => [k.bytes, v.bytes])), expected };
  }),
}));

test('hand-built values (non-UTF-8 str, uint64, all forms) split at random offsets decode equal', () => {
  fc.assert(
    fc.property(
      rawValue.chain((raw) => fc.tuple(fc.constant(raw), cuts(raw.bytes.length))),
      ([raw, offsets]) => {
        assert.deepStrictEqual(pushAll(cutAt(raw.bytes, offsets)), [{ kind: 'message', value: raw.expected }]);
      },
    ),
    { numRuns: RUNS },
  );
});

/** Feed a stream; check push() never throws and nothing follows an error. */
function decodeStream(chunks: Buffer[], maxMessageBytes: number): DecodeResult[] {
  const decoder = new MessageDecoder({ maxMessageBytes });
  const results: DecodeResult[] = [];
  for (const c of chunks) results.push(...decoder.push(c));
  const firstError = results.findIndex((r) => r.kind !== 'message');
  if (firstError !== -1) assert.equal(firstError, results.length - 1, 'nothing after too-large/fatal');
  return results;
}

const limits = fc.constantFrom(64, 1000, 128 * 1024 * 1024);

test('random byte streams: push() never throws and results do not depend on the split', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 400 }).chain((b) => fc.tuple(fc.constant(Buffer.from(b)), cuts(b.length), limits)),
      ([bytes, offsets, limit]) => {
        assert.deepStrictEqual(decodeStream(cutAt(bytes, offsets), limit), decodeStream([bytes], limit));
      },
    ),
    { numRuns: RUNS * 3 },
  );
});

const samples = corpus().filter((s) => s.bytes.length < 5000);

test('mutated valid streams: push() never throws and results do not depend on the split', () => {
  const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'delete', 'insert'));
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...samples), { minLength: 1, maxLength: 4 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      limits,
      (picked, mutations, rawCuts, limit) => {
        const bytes = [...Buffer.concat(picked.map((s) => s.bytes))];
        for (const [at, byte, op] of mutations) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = byte;
          else if (op === 'delete') bytes.splice(i, 1);
          else bytes.splice(i, 0, byte);
        }
        const stream = Buffer.from(bytes);
        const offsets =
          stream.length < 2
            ? []
            : [...new Set(rawCuts.map((x) => 1 + (x % (stream.length - 1))))].sort((a, b) => a - b);
        assert.deepStrictEqual(decodeStream(cutAt(stream, offsets), limit), decodeStream([stream], limit));
      },
    ),
    { numRuns: RUNS * 3 },
  );
});
