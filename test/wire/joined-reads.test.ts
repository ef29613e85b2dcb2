/** Several messages in one read, and reads holding the end of one message
 * plus the start of the next, come out complete and in order. */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { MessageDecoder } from '../../src/wire/index.js';
import { chunksOf, messages, pushAll } from './decode-helpers.js';
import { corpus } from './mp-bytes.js';

const samples = corpus();
const stream = Buffer.concat(samples.map((s) => s.bytes));
const expected = samples.map((s) => s.expected);

test('all messages in a single read decode in order', () => {
  assert.deepStrictEqual(messages(pushAll([stream])), expected);
});

test('a message inside one read is decoded without copying it', () => {
  const decoder = new MessageDecoder();
  messages(decoder.push(stream));
  assert.equal(decoder.stats.bytesCopied, 0);
});

test('reads straddling message boundaries (end of one + start of next) decode in order', () => {
  for (const size of [2, 3, 7, 64, 1000, 65536]) {
    assert.deepStrictEqual(messages(pushAll(chunksOf(stream, size))), expected, `chunk size ${size}`);
  }
});

test('a read ending exactly at a message boundary yields that message at once', () => {
  const decoder = new MessageDecoder();
  const first = samples[0]!.bytes;
  const second = samples[1]!.bytes;
  assert.deepStrictEqual(messages(decoder.push(first)), [samples[0]!.expected]);
  assert.deepStrictEqual(decoder.push(second.subarray(0, 10)), []);
  assert.deepStrictEqual(messages(decoder.push(Buffer.concat([second.subarray(10), first]))), [
    samples[1]!.expected,
    samples[0]!.expected,
  ]);
});

test('bin values spanning reads are Buffers with the original bytes', () => {
  const bins = samples.find((s) => s.name.startsWith('bin'))!;
  const [value] = messages(pushAll(chunksOf(bins.bytes, 4096)));
  const params = (value as unknown[])[3] as unknown[];
  for (const p of params) assert.ok(Buffer.isBuffer(p));
  assert.deepStrictEqual(value, bins.expected);
});
