/** Messages with many entries are decoded a slice per event-loop turn when the caller asks,
 * to the same value as in one go; small ones stay synchronous. */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { MessageDecoder, SLICED_MESSAGE_ENTRIES } from '../../src/wire/index.js';
import { kmap, krequest, kstr, mp } from './mp-bytes.js';

/** A Step whose Data is a map of `n` keys, one of them "__proto__" and one a non-UTF-8 str value. */
function bigStep(n: number): Buffer {
  const pairs: [Buffer, Buffer][] = [
    [kstr('__proto__'), kstr('p')],
    [kstr('x-h'), kstr(Buffer.from([0x63, 0x61, 0x66, 0xe9]))],
  ];
  for (let i = pairs.length; i < n; i++) pairs.push([kstr(`k${i}`), mp.fixint(i & 0x7f)]);
  const head = Buffer.from([0xdf, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  return krequest(3, 'plugin.Step', kmap({ EventId: mp.fixint(1), Data: Buffer.concat([head, ...pairs.flat()]) }));
}

test('a message over the slicing threshold is deferred, decoded across turns, to the one-go value', async () => {
  const bytes = bigStep(SLICED_MESSAGE_ENTRIES * 3);
  const [whole] = new MessageDecoder().push(bytes);
  const [r, ...rest] = new MessageDecoder({ sliceLargeMessages: true }).push(bytes);
  assert.deepEqual(rest, []);
  assert.ok(r?.kind === 'deferred', r?.kind);
  let turns = 0;
  const ticker = setInterval(() => turns++, 0);
  const done = await r.result;
  clearInterval(ticker);
  assert.ok(turns >= 2, `only ${turns} timer turns ran during the decoding`);
  assert.deepStrictEqual(done, whole);
  const data = (done.kind === 'message' ? done.value : []) as [0, number, string, [{ Data: Record<string, unknown> }]];
  assert.equal(Object.getPrototypeOf(data[3][0].Data), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(data[3][0].Data, '__proto__')?.value, 'p');
  assert.equal(data[3][0].Data['x-h'], 'caf\udce9');
});

test('messages under the threshold stay synchronous with slicing on', () => {
  const [r] = new MessageDecoder({ sliceLargeMessages: true }).push(bigStep(1000));
  assert.equal(r?.kind, 'message');
});
