/** A multi-megabyte bin body arrives intact, is copied at most once, and the
 * cost of finding its end grows linearly (checked with the scanner's work
 * counter, not with timings). */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { MessageDecoder } from '../../src/wire/index.js';
import { chunksOf, messages, pushAll } from './decode-helpers.js';
import { kmap, krequest, kuint, mp } from './mp-bytes.js';

const MiB = 1024 * 1024;

function body(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 2654435761) >>> 24;
  return b;
}

function stepWithBody(data: Buffer): Buffer {
  return krequest(42, 'plugin.Step', kmap({ EventId: kuint(1), Data: mp.bin32(data) }));
}

function dataOf(value: unknown): Buffer {
  const params = (value as unknown[])[3] as [{ Data: Buffer }];
  return params[0].Data;
}

test('5 MiB bin32 in 64 KiB reads: bytes intact, one copy, work proportional to reads', () => {
  const data = body(5 * MiB);
  const msg = stepWithBody(data);
  const decoder = new MessageDecoder();
  const [value] = messages(pushAll(chunksOf(msg, 64 * 1024), decoder));
  const got = dataOf(value);
  assert.ok(Buffer.isBuffer(got));
  assert.ok(got.equals(data));
  assert.equal(decoder.stats.bytesCopied, msg.length, 'the message is joined exactly once');
  const reads = Math.ceil(msg.length / (64 * 1024));
  assert.ok(decoder.scanWork <= 64 + reads, `scan work ${decoder.scanWork} for ${reads} reads`);
});

test('a 5 MiB message inside one read is not copied: the bin is a view of the read', () => {
  const data = body(5 * MiB);
  const msg = stepWithBody(data);
  const decoder = new MessageDecoder();
  const [value] = messages(decoder.push(msg));
  const got = dataOf(value);
  assert.equal(got.buffer, msg.buffer);
  assert.ok(got.equals(data));
  assert.equal(decoder.stats.bytesCopied, 0);
});

test('one byte per read: scan work is linear in the message size', () => {
  const work = (n: number): number => {
    const decoder = new MessageDecoder();
    const [value] = messages(pushAll(chunksOf(stepWithBody(body(n)), 1), decoder));
    assert.equal(dataOf(value).length, n);
    return decoder.scanWork;
  };
  const small = work(16 * 1024);
  const large = work(64 * 1024);
  assert.ok(small <= 2 * 16 * 1024 + 64, `work ${small}`);
  const ratio = large / small;
  assert.ok(ratio > 3.5 && ratio < 4.5, `4x the bytes cost ${ratio.toFixed(2)}x the work`);
});

test('many small messages: scan work is linear in the stream size', () => {
  const one = krequest(5, 'plugin.HandleEvent', kmap({ InstanceId: kuint(3), EventName: mp.fixstr('access') }));
  const work = (count: number): number => {
    const decoder = new MessageDecoder();
    assert.equal(pushAll(chunksOf(Buffer.concat(Array<Buffer>(count).fill(one)), 1000), decoder).length, count);
    return decoder.scanWork;
  };
  assert.equal(work(4000), 4 * work(1000));
});
