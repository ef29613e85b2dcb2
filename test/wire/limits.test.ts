/** Garbage, oversized and over-deep input ends the stream with a result the
 * server can act on, early and without buffering or recursing. */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { DEFAULT_MAX_MESSAGE_BYTES, MessageDecoder } from '../../src/wire/index.js';
import { chunksOf, pushAll } from './decode-helpers.js';
import { kstr, kuint, mp } from './mp-bytes.js';

const MiB = 1024 * 1024;

/** `[0, msgid, method, [<header>` with the payload of the last value missing. */
function requestPrefix(msgid: number, method: string, header: number[]): Buffer {
  return Buffer.concat([Buffer.from([0x94, 0x00]), kuint(msgid), kstr(method), Buffer.from([0x91, ...header])]);
}

test('the reserved byte 0xc1 is fatal', () => {
  assert.deepStrictEqual(new MessageDecoder().push(Buffer.from([0xc1])), [
    { kind: 'fatal', reason: 'reserved byte 0xc1 in MessagePack stream' },
  ]);
});

test('0xc1 inside a message after good ones: good ones first, then fatal, then nothing', () => {
  const good = mp.fixarr(mp.fixint(1), kstr('a'));
  const decoder = new MessageDecoder();
  const results = decoder.push(Buffer.concat([good, good, mp.fixarr(mp.fixint(1), Buffer.from([0xc1]))]));
  assert.deepStrictEqual(
    results.map((r) => r.kind),
    ['message', 'message', 'fatal'],
  );
  assert.deepStrictEqual(decoder.push(good), []);
});

test('default cap is 128 MiB', () => {
  assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 128 * MiB);
});

test('a str32 declaring 200 MiB is too-large as soon as its header arrives, with the msgid', () => {
  const size = 200 * MiB;
  const header = [0xdb, (size >>> 24) & 0xff, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff];
  const prefix = requestPrefix(300, 'plugin.Step', header);
  const decoder = new MessageDecoder({ maxMessageBytes: 128 * MiB });
  const [result, ...rest] = decoder.push(prefix);
  assert.deepStrictEqual(rest, []);
  assert.ok(result?.kind === 'too-large');
  assert.equal(result.msgid, 300);
  assert.equal(result.limit, 128 * MiB);
  assert.ok(result.size >= size + prefix.length, `size ${result.size}`);
  assert.equal(decoder.bufferedBytes, 0);
  assert.deepStrictEqual(decoder.push(Buffer.alloc(1000, 0x41)), []);
});

test('the same header arriving one byte per read is reported on its last length byte', () => {
  const prefix = requestPrefix(70000, 'plugin.Step', [0xc6, 0x0c, 0x80, 0x00, 0x00]); // bin32, 200 MiB
  const decoder = new MessageDecoder();
  const perByte = chunksOf(prefix, 1).map((c) => decoder.push(c));
  assert.ok(perByte.slice(0, -1).every((r) => r.length === 0));
  assert.deepStrictEqual(perByte.at(-1), [
    { kind: 'too-large', msgid: 70000, size: 200 * MiB + prefix.length, limit: 128 * MiB },
  ]);
});

test('element counts count too: array32 of 4 billion elements is too-large', () => {
  const [result] = pushAll([Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])]);
  assert.deepStrictEqual(result, { kind: 'too-large', msgid: undefined, size: 0xffffffff + 5, limit: 128 * MiB });
});

test('a configured cap is exact: at the cap decodes, one byte over is too-large', () => {
  const atCap = mp.fixarr(mp.fixint(0), mp.fixint(9), kstr('m'), mp.fixarr(mp.bin8(Buffer.alloc(100 - 8))));
  assert.equal(atCap.length, 100);
  assert.equal(pushAll([atCap], new MessageDecoder({ maxMessageBytes: 100 }))[0]?.kind, 'message');
  assert.deepStrictEqual(pushAll([atCap], new MessageDecoder({ maxMessageBytes: 99 })), [
    { kind: 'too-large', msgid: 9, size: 100, limit: 99 },
  ]);
});

test('nesting 512 deep decodes; deeper is fatal', () => {
  const ok = Buffer.concat([Buffer.alloc(512, 0x91), mp.nil()]);
  const [result] = pushAll([ok]);
  assert.equal(result?.kind, 'message');
  const tooDeep = Buffer.concat([Buffer.alloc(513, 0x91), mp.nil()]);
  assert.deepStrictEqual(pushAll([tooDeep]), [{ kind: 'fatal', reason: 'MessagePack nesting deeper than 512' }]);
});

test('a depth bomb (1e6 nested arrays and maps) is fatal without stack overflow', () => {
  const bomb = Buffer.alloc(1_000_000, 0x91);
  for (let i = 0; i < bomb.length; i += 2) bomb[i] = 0x81; // maps whose key is the next container
  for (const chunks of [[bomb], chunksOf(bomb, 1000)]) {
    const results = pushAll(chunks);
    assert.equal(results.length, 1);
    assert.equal(results[0]?.kind, 'fatal');
  }
});
