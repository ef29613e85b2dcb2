/**
 * One huge message does not hold up other connections for long, and a message over the entries
 * cap is refused with the IDL's error reply: a real server process, real unix sockets.
 *
 * The 1,000,000-key map (8.9 MB) goes out on one connection; once the kernel has taken all of
 * it, the Steps of an echo event go out on another. Before, the echo waited for the whole
 * decoding (2.2–2.6 s); now the big message is decoded in slices with the echo served between
 * them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Buffer } from 'node:buffer';
import { RpcErrors } from '../../generated/index.js';
import { DEFAULT_MAX_MESSAGE_ENTRIES } from '../../src/wire/index.js';
import { startServerProcess, tempDir, type ServerProcess } from '../helpers/cli.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';
import { kmap, kuint, krequest } from './mp-bytes.js';

/** `[0, msgid, "plugin.Step", [{EventId, Data: {k0: 0, k1: 1, …}}]]` with `keys` distinct keys. */
function bigMapStep(msgid: number, eventId: number, keys: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0xdf, keys >>> 24, (keys >>> 16) & 0xff, (keys >>> 8) & 0xff, keys & 0xff])];
  for (let i = 0; i < keys; i++) {
    const k = Buffer.from(`k${i}`, 'latin1');
    parts.push(Buffer.from([0xa0 | k.length]), k, Buffer.from([i & 0x7f]));
  }
  return krequest(msgid, 'plugin.Step', kmap({ EventId: kuint(eventId), Data: Buffer.concat(parts) }));
}

/** Resolves once the socket has handed every byte written so far to the kernel. */
function flushed(c: KongConnection, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => c.socket.write(bytes, (e) => (e ? reject(e) : resolve())));
}

let server: ServerProcess;
let socketPath: string;
const conns: KongConnection[] = [];

before(async () => {
  const dir = tempDir();
  socketPath = path.join(dir, 'big.sock');
  server = await startServerProcess(['-d', fixture('plugins'), '-p', dir, '--sock-name', 'big.sock'], socketPath);
});
after(async () => {
  for (const c of conns) c.close();
  server.child.kill('SIGTERM');
  await server.exited;
});

async function connect(): Promise<KongConnection> {
  const c = await KongConnection.open(socketPath);
  conns.push(c);
  return c;
}

describe('a map of 1,000,000 keys beside an echo event', () => {
  test('the echo event on another connection finishes within 500 ms while the big map is decoded', async (t) => {
    const big = await connect();
    const echo = await connect();
    const id = await startInstance(echo, 'echo');
    const e = await echo.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.deepEqual(e.Data, { Method: 'kong.request.get_header', Args: ['host'] });

    // An event id nobody holds: the whole map is decoded before the handler says so.
    const bytes = bigMapStep(7, 1, 1_000_000);
    assert.ok(bytes.length > 8_000_000, `${bytes.length} bytes`);
    const sent = Date.now();
    await flushed(big, bytes);
    // Everything but what the kernel buffers has reached the server: it is scanning or decoding now.
    const stepAt = Date.now();
    const r2 = await echo.call('Step', { EventId: e.EventId, Data: 'example.test' });
    const r3 = await echo.call('Step', { EventId: e.EventId });
    const echoMs = Date.now() - stepAt;
    assert.deepEqual(r2.Data, { Method: 'kong.response.set_header', Args: ['x-echo', 'example.test'] });
    assert.equal(r3.Data, 'ret');

    const reply = (await big.next(10_000)) as unknown[];
    const bigMs = Date.now() - sent;
    assert.deepEqual(reply, [1, 7, RpcErrors.NoRunningEvent(1), null]);
    t.diagnostic(`echo ${echoMs} ms beside the big map, big map answered after ${bigMs} ms`);
    assert.ok(echoMs < 500, `echo took ${echoMs} ms beside the big map (big map: ${bigMs} ms)`);
  });
});

describe('the entries cap', () => {
  test(`a message with more than ${DEFAULT_MAX_MESSAGE_ENTRIES} entries gets the IDL's error reply, then the connection closes`, async () => {
    const c = await connect();
    const keys = DEFAULT_MAX_MESSAGE_ENTRIES + 1;
    c.write(bigMapStep(9, 1, keys));
    const reply = (await c.next(10_000)) as unknown[];
    assert.deepEqual(reply, [1, 9, RpcErrors.TooManyEntries(DEFAULT_MAX_MESSAGE_ENTRIES), null]);
    await c.waitClosed(5000);
    // The server still serves everyone else.
    const d = await connect();
    const status = await d.call('GetStatus');
    assert.equal(typeof status.Pid, 'number');
  });

  test('--max-message-entries sets the cap: 1,000 accepted, 1,001 refused', async () => {
    const dir = tempDir();
    const sock = path.join(dir, 'cap.sock');
    const capped = await startServerProcess(
      ['-d', fixture('plugins'), '-p', dir, '--sock-name', 'cap.sock', '--max-message-entries', '1000'],
      sock,
    );
    try {
      const c = await KongConnection.open(sock);
      // 993 keys + the envelope's 7 entries = 1,000.
      c.write(bigMapStep(1, 1, 993));
      assert.deepEqual(await c.next(5000), [1, 1, RpcErrors.NoRunningEvent(1), null]);
      c.write(bigMapStep(2, 1, 994));
      assert.deepEqual(await c.next(5000), [1, 2, RpcErrors.TooManyEntries(1000), null]);
      await c.waitClosed(5000);
    } finally {
      capped.child.kill('SIGTERM');
      await capped.exited;
    }
  });
});
