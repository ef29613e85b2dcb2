/** A message split across socket reads anywhere decodes exactly as if it had
 * arrived in one read. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageDecoder } from '../../src/wire/index.js';
import { chunksOf, cutAt, messages, pushAll } from './decode-helpers.js';
import { corpus } from './mp-bytes.js';

/** Offsets to cut at: all of them for small messages; for big ones every
 * offset near the ends (where the headers are) plus a stride through the
 * payload, which keeps the test fast without losing boundary cases. */
function cutOffsets(len: number): number[] {
  if (len <= 4096) return Array.from({ length: len - 1 }, (_, i) => i + 1);
  const set = new Set<number>();
  for (let i = 1; i < 200; i++) set.add(i);
  for (let i = len - 200; i < len; i++) set.add(i);
  for (let i = 200; i < len - 200; i += 997) set.add(i);
  return [...set].sort((a, b) => a - b);
}

for (const sample of corpus()) {
  test(`${sample.name}: whole message decodes to the expected value`, () => {
    assert.deepStrictEqual(messages(pushAll([sample.bytes])), [sample.expected]);
  });

  test(`${sample.name}: one byte per read decodes the same`, () => {
    const decoder = new MessageDecoder();
    assert.deepStrictEqual(messages(pushAll(chunksOf(sample.bytes, 1), decoder)), [sample.expected]);
    assert.equal(decoder.bufferedBytes, 0);
  });

  test(`${sample.name}: cut at every offset into two reads decodes the same`, () => {
    for (const at of cutOffsets(sample.bytes.length)) {
      const decoder = new MessageDecoder();
      const [head, tail] = cutAt(sample.bytes, [at]);
      assert.deepStrictEqual(decoder.push(head!), [], `cut at ${at}: nothing before the end`);
      assert.deepStrictEqual(messages(decoder.push(tail!)), [sample.expected], `cut at ${at}`);
    }
  });
}
