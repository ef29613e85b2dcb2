/** Strings that are not UTF-8 survive a decode/encode round trip byte for
 * byte, and client-controlled map keys cannot touch prototypes. */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { encodeResponse, MessageDecoder, decodeValueLossless } from '../../src/wire/index.js';
import { messages, pushAll } from './decode-helpers.js';
import { kmap, krequest, kstr, mp } from './mp-bytes.js';

const CAFE_LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);

function decodeOne(bytes: Buffer): unknown {
  const [value] = messages(pushAll([bytes]));
  return value;
}

test('header value 63 61 66 e9 is written back as exactly those four bytes', () => {
  const request = krequest(7, 'kong.request.get_header', kmap({ 'x-name': kstr(CAFE_LATIN1) }));
  const value = decodeOne(request) as [0, number, string, [Record<string, string>]];
  const header = value[3][0]['x-name']!;
  assert.equal(header, 'caf\udce9');

  const wire = Buffer.from(encodeResponse(7, null, header));
  // [1, 7, nil, bin8(4) 63 61 66 e9]: Kong's Lua unpacker reads bin as a string.
  assert.deepStrictEqual(wire, Buffer.from([0x94, 0x01, 0x07, 0xc0, 0xc4, 0x04, 0x63, 0x61, 0x66, 0xe9]));
});

test('escaped strings nested in results are restored, valid strings stay str', () => {
  const value = decodeOne(mp.fixarr(kstr(CAFE_LATIN1), kstr('über'))) as string[];
  const result = { headers: { a: value[0], b: value[1] }, list: [value[0]] };
  const decoded = decodeValueLossless(encodeResponse(1, null, result)) as unknown[];
  assert.deepStrictEqual(decoded[3], {
    headers: { a: CAFE_LATIN1, b: 'über' },
    list: [CAFE_LATIN1],
  });
  // The caller's object is not modified by the encoder.
  assert.equal(result.headers.a, 'caf\udce9');
});

test('a Kong 2.x raw body sent as str with arbitrary bytes round-trips exactly', () => {
  const body = Buffer.alloc(100_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7919) & 0xff;
  const value = decodeOne(krequest(3, 'plugin.Step', kstr(body))) as [0, number, string, [string]];
  const wire = encodeResponse(3, null, value[3][0]);
  const back = decodeValueLossless(wire) as unknown[];
  assert.deepStrictEqual(back[3], body);
});

test('invalid sequences (bad lead, truncated, overlong, encoded surrogate) each escape per byte', () => {
  const raw = Buffer.from([0x41, 0xff, 0xe2, 0x82, 0x41, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80]);
  assert.equal(decodeOne(kstr(raw)), 'A\udcff\udce2\udc82A\udcc0\udc80\udced\udca0\udc80😀');
});

test('map key "__proto__" becomes an own data property and leaves the prototype alone', () => {
  const polluted = kmap({ ['__proto__']: kmap({ isAdmin: mp.bool(true) }), ok: mp.fixint(1) });
  for (const bytes of [polluted, mp.fixarr(polluted, kstr(CAFE_LATIN1))]) {
    const value = decodeOne(bytes);
    const obj = (Array.isArray(value) ? value[0] : value) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.ok(Object.hasOwn(obj, '__proto__'));
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, { isAdmin: true });
    assert.equal((obj as { isAdmin?: unknown }).isAdmin, undefined);
    assert.equal(({} as { isAdmin?: unknown }).isAdmin, undefined);
    assert.equal(obj['ok'], 1);
  }
});

test('an own "__proto__" member is encoded as a map key, also when its value needs restoring', () => {
  const decoder = new MessageDecoder();
  const [r] = decoder.push(kmap({ ['__proto__']: kstr(CAFE_LATIN1) }));
  assert.ok(r?.kind === 'message');
  const back = decodeValueLossless(encodeResponse(1, null, r.value)) as unknown[];
  const obj = back[3] as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(obj), Object.prototype);
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, CAFE_LATIN1);
});

test('messages with only valid UTF-8 take the fast path; others the lossless path', () => {
  const decoder = new MessageDecoder();
  decoder.push(kmap({ a: kstr('ascii'), b: kstr('日本') }));
  assert.deepStrictEqual(decoder.stats, { bytesCopied: 0, fastPath: 1, slowPath: 0 });
  decoder.push(kmap({ a: kstr(CAFE_LATIN1) }));
  assert.deepStrictEqual(decoder.stats, { bytesCopied: 0, fastPath: 1, slowPath: 1 });
});

test('a non-UTF-8 str after more strs than the scanner records is still decoded losslessly', () => {
  const many = Array.from({ length: 70_000 }, (_, i) => kstr(i % 2 ? 'a' : 'bc'));
  const bytes = Buffer.concat([Buffer.from([0xdd, 0x00, 0x01, 0x11, 0x71]), ...many, kstr(CAFE_LATIN1)]); // array32 of 70001
  const decoder = new MessageDecoder();
  const [r] = pushAll([bytes], decoder);
  assert.ok(r?.kind === 'message');
  const list = r.value as string[];
  assert.equal(list.length, 70_001);
  assert.equal(list[70_000], 'caf\udce9');
  assert.equal(decoder.stats.slowPath, 1);
});
