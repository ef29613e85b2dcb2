/** The per-message cap on map and array entries: counted from headers while framing, so a
 * message over it is refused before its entries arrive, with the msgid for the error reply. */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { DEFAULT_MAX_MESSAGE_ENTRIES, MessageDecoder } from '../../src/wire/index.js';
import { pushAll } from './decode-helpers.js';
import { kmap, krequest, kstr, mp } from './mp-bytes.js';

/** `[0, 5, "plugin.Step", [{EventId: 1, Data: <data>}]]`: 4 + 1 + 2 entries around `data`. */
const step = (data: Buffer): Buffer => krequest(5, 'plugin.Step', kmap({ EventId: mp.fixint(1), Data: data }));
const ENVELOPE = 7;

test('the default cap is 1,048,576 entries', () => {
  assert.equal(DEFAULT_MAX_MESSAGE_ENTRIES, 1_048_576);
});

test('map pairs and array elements of every container add up; at the cap decodes, one over is refused', () => {
  // A map of 2 pairs holding an array of 3 and a map of 1: 2 + 3 + 1 = 6 entries.
  const data = mp.fixmap(
    [kstr('a'), mp.fixarr(mp.nil(), mp.nil(), mp.nil())],
    [kstr('b'), mp.fixmap([kstr('c'), mp.nil()])],
  );
  const atCap = new MessageDecoder({ maxMessageEntries: ENVELOPE + 6 });
  assert.equal(pushAll([step(data)], atCap)[0]?.kind, 'message');
  assert.deepStrictEqual(pushAll([step(data)], new MessageDecoder({ maxMessageEntries: ENVELOPE + 5 })), [
    { kind: 'too-many-entries', msgid: 5, entries: ENVELOPE + 6, limit: ENVELOPE + 5 },
  ]);
});

test('empty containers cost nothing and the count starts again with every message', () => {
  const data = mp.fixarr(mp.fixarr(), mp.fixmap(), mp.arr16(), mp.map16()); // 4 entries
  const d = new MessageDecoder({ maxMessageEntries: ENVELOPE + 4 });
  const results = pushAll([step(data), step(data), step(data)], d);
  assert.deepEqual(
    results.map((r) => r.kind),
    ['message', 'message', 'message'],
  );
});

test('a map32 header declaring 2 M pairs is refused as soon as its header arrives', () => {
  const header = Buffer.from([0xdf, 0x00, 0x1e, 0x84, 0x80]); // 2,000,000 pairs, none sent
  // {EventId: 1, Data: <map32 header>} with the pairs never sent.
  const params = Buffer.concat([Buffer.from([0x82]), kstr('EventId'), mp.fixint(1), kstr('Data'), header]);
  const bytes = krequest(5, 'plugin.Step', params);
  const d = new MessageDecoder();
  const results = d.push(bytes);
  assert.equal(results.length, 1);
  const r = results[0]!;
  assert.ok(r.kind === 'too-many-entries', r.kind);
  assert.equal(r.msgid, 5);
  assert.equal(r.limit, DEFAULT_MAX_MESSAGE_ENTRIES);
  assert.equal(d.bufferedBytes, 0);
  assert.deepStrictEqual(d.push(Buffer.alloc(1000, 0xa1)), []);
});
