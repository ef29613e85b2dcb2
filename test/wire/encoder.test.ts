/** Outgoing messages have the RPC shapes Kong expects, undefined becomes nil,
 * bytes become bin, and encoding never disturbs the caller's values. */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import {
  decodeValueLossless,
  encodeNotification,
  encodeRequest,
  encodeResponse,
  MessageDecoder,
  restoreRawBytes,
} from '../../src/wire/index.js';

test('response is [1, msgid, nil, result] or [1, msgid, error, nil]', () => {
  assert.deepStrictEqual(decodeValueLossless(encodeResponse(12, null, { a: [1, 'x'] })), [
    1,
    12,
    null,
    { a: [1, 'x'] },
  ]);
  assert.deepStrictEqual(decodeValueLossless(encodeResponse(13, 'boom', null)), [1, 13, 'boom', null]);
});

test('notification is [2, label, arg] and request is [0, msgid, method, params]', () => {
  assert.deepStrictEqual(decodeValueLossless(encodeNotification('serverPid', 42)), [2, 'serverPid', 42]);
  assert.deepStrictEqual(decodeValueLossless(encodeRequest(3, 'plugin.GetStatus', [])), [0, 3, 'plugin.GetStatus', []]);
});

test('undefined encodes as nil, also as an array element and object member', () => {
  const wire = Buffer.from(encodeResponse(1, null, [undefined, { k: undefined }]));
  assert.deepStrictEqual(wire, Buffer.from([0x94, 0x01, 0x01, 0xc0, 0x92, 0xc0, 0x81, 0xa1, 0x6b, 0xc0]));
});

test('Buffer and Uint8Array encode as bin', () => {
  const wire = Buffer.from(encodeResponse(1, null, [Buffer.from([1, 2]), new Uint8Array([3])]));
  assert.deepStrictEqual(wire, Buffer.from([0x94, 0x01, 0x01, 0xc0, 0x92, 0xc4, 0x02, 1, 2, 0xc4, 0x01, 3]));
});

test('each encoded message is its own copy (the shared encoder buffer is not exposed)', () => {
  const first = encodeResponse(1, null, 'first');
  const snapshot = Buffer.from(first);
  encodeResponse(2, null, 'second, which is longer');
  assert.deepStrictEqual(Buffer.from(first), snapshot);
});

test('values without escapes are passed through untouched (no copies)', () => {
  const value = { a: ['x', { b: 'y' }], c: Buffer.from('z') };
  assert.equal(restoreRawBytes(value), value);
});

test('request encoded here decodes to the same value through MessageDecoder', () => {
  const params = [{ InstanceId: 1, EventName: 'access', big: 2 ** 40, neg: -5, f: 0.5 }];
  const [r] = new MessageDecoder().push(Buffer.from(encodeRequest(77, 'plugin.HandleEvent', params)));
  assert.deepStrictEqual(r, { kind: 'message', value: [0, 77, 'plugin.HandleEvent', params] });
});
