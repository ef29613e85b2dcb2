/**
 * Hand-built MessagePack bytes for tests. Encoders pick the shortest form, but
 * Kong uses forms they never produce (str16 for 32..255-byte strings, uint64,
 * raw non-UTF-8 str), so tests state the exact form of every value.
 */

import { Buffer } from 'node:buffer';

/** Bytes of one encoded value. */
export type Bytes = Buffer;

const cat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts);
const u8 = (...b: number[]): Buffer => Buffer.from(b);
const text = (s: string | Uint8Array): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s));

function be(n: number | bigint, width: 1 | 2 | 4 | 8, signed = false): Buffer {
  const b = Buffer.alloc(width);
  if (width === 8) {
    if (signed) b.writeBigInt64BE(BigInt(n));
    else b.writeBigUInt64BE(BigInt(n));
  } else if (signed) b.writeIntBE(Number(n), 0, width);
  else b.writeUIntBE(Number(n), 0, width);
  return b;
}

/** Builders, one per MessagePack form. */
export const mp = {
  nil: (): Bytes => u8(0xc0),
  bool: (v: boolean): Bytes => u8(v ? 0xc3 : 0xc2),
  fixint: (n: number): Bytes => u8(n & 0xff), // 0..127 or -32..-1
  uint8: (n: number): Bytes => cat(u8(0xcc), be(n, 1)),
  uint16: (n: number): Bytes => cat(u8(0xcd), be(n, 2)),
  uint32: (n: number): Bytes => cat(u8(0xce), be(n, 4)),
  uint64: (n: number | bigint): Bytes => cat(u8(0xcf), be(n, 8)),
  int8: (n: number): Bytes => cat(u8(0xd0), be(n, 1, true)),
  int16: (n: number): Bytes => cat(u8(0xd1), be(n, 2, true)),
  int32: (n: number): Bytes => cat(u8(0xd2), be(n, 4, true)),
  int64: (n: number | bigint): Bytes => cat(u8(0xd3), be(n, 8, true)),
  f32: (x: number): Bytes => {
    const b = Buffer.alloc(5);
    b[0] = 0xca;
    b.writeFloatBE(x, 1);
    return b;
  },
  f64: (x: number): Bytes => {
    const b = Buffer.alloc(9);
    b[0] = 0xcb;
    b.writeDoubleBE(x, 1);
    return b;
  },
  fixstr: (s: string | Uint8Array): Bytes => {
    const t = text(s);
    return cat(u8(0xa0 | t.length), t);
  },
  str8: (s: string | Uint8Array): Bytes => {
    const t = text(s);
    return cat(u8(0xd9), be(t.length, 1), t);
  },
  str16: (s: string | Uint8Array): Bytes => {
    const t = text(s);
    return cat(u8(0xda), be(t.length, 2), t);
  },
  str32: (s: string | Uint8Array): Bytes => {
    const t = text(s);
    return cat(u8(0xdb), be(t.length, 4), t);
  },
  bin8: (d: Uint8Array): Bytes => cat(u8(0xc4), be(d.length, 1), d),
  bin16: (d: Uint8Array): Bytes => cat(u8(0xc5), be(d.length, 2), d),
  bin32: (d: Uint8Array): Bytes => cat(u8(0xc6), be(d.length, 4), d),
  fixarr: (...items: Bytes[]): Bytes => cat(u8(0x90 | items.length), ...items),
  arr16: (...items: Bytes[]): Bytes => cat(u8(0xdc), be(items.length, 2), ...items),
  arr32: (...items: Bytes[]): Bytes => cat(u8(0xdd), be(items.length, 4), ...items),
  fixmap: (...pairs: [Bytes, Bytes][]): Bytes => cat(u8(0x80 | pairs.length), ...pairs.flat()),
  map16: (...pairs: [Bytes, Bytes][]): Bytes => cat(u8(0xde), be(pairs.length, 2), ...pairs.flat()),
  map32: (...pairs: [Bytes, Bytes][]): Bytes => cat(u8(0xdf), be(pairs.length, 4), ...pairs.flat()),
  fixext4: (type: number, d: Uint8Array): Bytes => cat(u8(0xd6, type & 0xff), d),
  ext8: (type: number, d: Uint8Array): Bytes => cat(u8(0xc7, d.length, type & 0xff), d),
};

/** A str the way Kong's encoder writes it: fixstr, str16 or str32, never str8. */
export function kstr(s: string | Uint8Array): Bytes {
  const n = text(s).length;
  if (n < 32) return mp.fixstr(s);
  if (n < 0x10000) return mp.str16(s);
  return mp.str32(s);
}

/** A non-negative integer the way Kong writes it (unsigned forms). */
export function kuint(n: number): Bytes {
  if (n < 128) return mp.fixint(n);
  if (n < 0x100) return mp.uint8(n);
  if (n < 0x10000) return mp.uint16(n);
  if (n < 0x100000000) return mp.uint32(n);
  return mp.uint64(n);
}

/** A map with Kong-style string keys. */
export function kmap(obj: Record<string, Bytes>): Bytes {
  return mp.fixmap(...Object.entries(obj).map(([k, v]): [Bytes, Bytes] => [kstr(k), v]));
}

/** A request `[0, msgid, method, params]` as Kong writes it. */
export function krequest(msgid: number, method: string, ...params: Bytes[]): Bytes {
  return mp.fixarr(mp.fixint(0), kuint(msgid), kstr(method), mp.fixarr(...params));
}

/** Corpus entry: exact bytes and the value they must decode to. */
export interface Sample {
  name: string;
  bytes: Bytes;
  expected: unknown;
}

const blob = (n: number, seed: number): Buffer => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

const long = (n: number): string => 'kong-'.repeat(Math.ceil(n / 5)).slice(0, n);

/** Varied messages covering every form the server may see. */
export function corpus(): Sample[] {
  const b8 = blob(200, 1);
  const b16 = blob(1000, 2);
  const b32 = blob(3000, 3); // bin32 form, small payload: the form is what matters
  const s16 = long(300);
  const s32 = long(70000);
  const obj = (entries: [string, unknown][]): Record<string, unknown> => Object.fromEntries(entries);
  return [
    {
      name: 'HandleEvent request',
      bytes: krequest(1, 'plugin.HandleEvent', kmap({ InstanceId: mp.fixint(0), EventName: kstr('access') })),
      expected: [0, 1, 'plugin.HandleEvent', [{ InstanceId: 0, EventName: 'access' }]],
    },
    {
      name: 'Step with str16 and str32',
      bytes: krequest(300, 'plugin.Step', kmap({ EventId: kuint(70000), Data: kstr(s16), Big: kstr(s32) })),
      expected: [0, 300, 'plugin.Step', [{ EventId: 70000, Data: s16, Big: s32 }]],
    },
    {
      name: 'bin8/16/32 bodies',
      bytes: krequest(2, 'plugin.StepBytes', mp.bin8(b8), mp.bin16(b16), mp.bin32(b32)),
      expected: [0, 2, 'plugin.StepBytes', [b8, b16, b32]],
    },
    {
      name: 'unsigned and negative integers',
      bytes: mp.fixarr(
        mp.uint64(2 ** 53 - 1),
        mp.uint64(2n ** 63n),
        mp.uint32(0xffffffff),
        mp.fixint(-1),
        mp.int8(-100),
        mp.int16(-30000),
        mp.int32(-2000000000),
        mp.int64(-(2 ** 40)),
        mp.uint8(255),
        mp.uint16(65535),
      ),
      expected: [2 ** 53 - 1, 2 ** 63, 0xffffffff, -1, -100, -30000, -2000000000, -(2 ** 40), 255, 65535],
    },
    {
      name: 'floats',
      bytes: mp.fixarr(mp.f64(3.14), mp.f32(1.5), mp.f64(-0.25), mp.f64(1e300)),
      expected: [3.14, 1.5, -0.25, 1e300],
    },
    {
      name: 'nested maps with empty array and map',
      bytes: mp.fixarr(
        mp.fixint(1),
        kuint(9),
        mp.nil(),
        kmap({
          headers: kmap({ 'x-a': kstr('1'), 'x-list': mp.fixarr(kstr('a'), kstr('b')), empty: mp.fixarr() }),
          none: mp.fixmap(),
          deep: mp.map16([kstr('l1'), mp.map32([kstr('l2'), mp.arr16(mp.arr32(mp.bool(true), mp.bool(false)))])]),
        }),
      ),
      expected: [
        1,
        9,
        null,
        {
          headers: { 'x-a': '1', 'x-list': ['a', 'b'], empty: [] },
          none: {},
          deep: { l1: { l2: [[true, false]] } },
        },
      ],
    },
    {
      name: 'integer map keys',
      bytes: mp.fixmap([mp.fixint(1), kstr('a')], [mp.uint16(1000), kstr('b')], [mp.fixint(-2), kstr('c')]),
      expected: obj([
        ['1', 'a'],
        ['1000', 'b'],
        ['-2', 'c'],
      ]),
    },
    {
      name: 'response',
      bytes: mp.fixarr(mp.fixint(1), kuint(5), mp.nil(), kstr('ok')),
      expected: [1, 5, null, 'ok'],
    },
    {
      name: 'notification',
      bytes: mp.fixarr(mp.fixint(2), kstr('log'), mp.fixarr(kstr('x'))),
      expected: [2, 'log', ['x']],
    },
    {
      name: 'non-UTF-8 header value',
      bytes: mp.fixmap([kstr('x-h'), kstr(Buffer.from([0x63, 0x61, 0x66, 0xe9]))]),
      expected: { 'x-h': 'caf\udce9' },
    },
    {
      name: 'str8 and multibyte UTF-8',
      bytes: mp.fixarr(mp.str8('héllo wörld ☃ 😀'), kstr('日本語')),
      expected: ['héllo wörld ☃ 😀', '日本語'],
    },
    {
      name: 'ext value and nil/bool keys',
      bytes: mp.fixmap(
        [kstr('e'), mp.fixext4(5, Buffer.from([1, 2, 3, 4]))],
        [mp.nil(), mp.fixint(1)],
        [mp.bool(true), mp.ext8(1, Buffer.from([9]))],
      ),
      expected: { e: undefined, null: 1, true: undefined },
    },
    { name: 'top-level scalar', bytes: mp.fixint(7), expected: 7 },
  ];
}
