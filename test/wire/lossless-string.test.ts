/** The surrogateescape mapping is exact: bytes -> string -> bytes is the
 * identity, and valid UTF-8 decodes exactly as a normal UTF-8 decode. */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeLossless, encodeLossless, hasEscapes } from '../../src/wire/index.js';

test('any byte sequence round-trips exactly', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const s = decodeLossless(bytes, 0, bytes.length);
      assert.deepStrictEqual(encodeLossless(s), Buffer.from(bytes));
    }),
    { numRuns: 2000 },
  );
});

test('UTF-8-heavy byte mixes round-trip exactly', () => {
  const piece = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 5 }).map((s) => Buffer.from(s, 'utf8')),
    fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => Buffer.from(b)),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
      const bytes = Buffer.concat(pieces);
      const s = decodeLossless(bytes, 0, bytes.length);
      assert.deepStrictEqual(encodeLossless(s), bytes);
    }),
    { numRuns: 2000 },
  );
});

test('well-formed text decodes like a plain UTF-8 decode and has no escapes', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => {
      const bytes = Buffer.from(text, 'utf8');
      const s = decodeLossless(bytes, 0, bytes.length);
      assert.equal(s, text);
      assert.equal(hasEscapes(s), false);
    }),
  );
});

test('decodes a sub-range of a larger buffer', () => {
  const bytes = Buffer.from([0xff, 0x41, 0xe9, 0x42, 0xff]);
  assert.equal(decodeLossless(bytes, 1, 4), 'A\udce9B');
});

test('a valid surrogate pair is not mistaken for an escape', () => {
  const s = '\ud800\udc80'; // U+10080, its low half lies in the escape range
  assert.equal(hasEscapes(s), false);
  assert.deepStrictEqual(encodeLossless(s), Buffer.from([0xf0, 0x90, 0x82, 0x80]));
});
