/**
 * Raw bodies as each kind of plugin expects them, over the real socket of a server process
 * started with its default flags: a kong-js-pdk module gets what kong-js-pdk gives it (a string
 * where Kong 2.x sends str, a Buffer where Kong 3.x sends bin), a module that opts in
 * (`RawBodies: 'buffer'`, `definePlugin`) gets a Buffer on both, and what every kind sends back
 * through setRawBody reaches Kong as the bytes it meant, non-UTF-8 bytes included.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeLossless } from '../../src/wire/index.js';
import { startServerProcess, tempDir, type ServerProcess } from '../helpers/cli.js';
import { fixture, repoRoot } from '../helpers/paths.js';
import { RawConnection } from '../helpers/raw-client.js';
import { typeCheck } from '../helpers/typecheck.js';
import { kmap, kstr, kuint, krequest, mp } from '../wire/mp-bytes.js';

const KONG_JS_PLUGINSERVER = path.join(repoRoot, 'node_modules', 'kong-pdk', 'bin', 'kong-js-pluginserver');
const PLUGINS = ['js-transform.js', 'buffers.js', 'typed.ts'];
const WIRE = {
  'Kong 2.x (str)': (b: Buffer) => kstr(b),
  'Kong 3.x (bin)': (b: Buffer) => (b.length < 256 ? mp.bin8(b) : mp.bin32(b)),
} as const;

/** One Kong-like connection to a plugin server, sending hand-built MessagePack. */
class KongSide {
  private msgid = 100;
  constructor(private readonly conn: RawConnection) {}

  /** Sends one request; its reply and the bytes the server wrote for it. */
  async call(bytes: Uint8Array): Promise<{ reply: unknown[]; bytes: Buffer }> {
    const before = this.conn.byteCount;
    const n = (await this.conn.replies(0)).length;
    this.conn.write(bytes);
    const replies = await this.conn.replies(n + 1, 5000);
    await this.conn.quiet(10);
    return { reply: replies[n]!, bytes: this.conn.bytes().subarray(before) };
  }

  async startInstance(name: string): Promise<number> {
    const { reply } = await this.call(
      krequest(this.msgid++, 'plugin.StartInstance', kmap({ Name: kstr(name), Config: kstr('{}') })),
    );
    assert.equal(reply[2], null, `StartInstance ${name}: ${String(reply[2])}`);
    return (reply[3] as { Id: number }).Id;
  }

  /** Runs `access` with `wire` as the raw body; every PDK call it made and the bytes of set_raw_body. */
  async runAccess(
    name: string,
    wire: Buffer,
  ): Promise<{ calls: PdkCallData[]; kind: unknown; sent: Buffer; sentBytes: Buffer }> {
    const id = await this.startInstance(name);
    const ev = await this.call(
      krequest(this.msgid++, 'plugin.HandleEvent', kmap({ InstanceId: kuint(id), EventName: kstr('access') })),
    );
    const first = ev.reply[3] as { EventId: number; Data: PdkCallData };
    assert.equal(first.Data.Method, 'kong.request.get_raw_body');
    const step = (data: Buffer) =>
      this.call(krequest(this.msgid++, 'plugin.Step', kmap({ EventId: kuint(first.EventId), Data: data })));
    const header = (await step(wire)).reply[3] as { Data: PdkCallData };
    assert.equal(header.Data.Method, 'kong.response.set_header');
    const setBody = await step(mp.nil());
    const data = (setBody.reply[3] as { Data: PdkCallData }).Data;
    assert.equal(data.Method, 'kong.service.request.set_raw_body');
    const arg = data.Args[0];
    // A str arrives decoded losslessly: encoding it again gives the bytes on the wire.
    const sent = typeof arg === 'string' ? encodeLossless(arg) : Buffer.from(arg as Uint8Array);
    assert.equal(((await step(mp.nil())).reply[3] as { Data: unknown }).Data, 'ret');
    return { calls: [first.Data, header.Data, data], kind: header.Data.Args[1], sent, sentBytes: setBody.bytes };
  }
}

interface PdkCallData {
  Method: string;
  Args: unknown[];
}

let dir: string;
let server: ServerProcess;
let conn: RawConnection;
let kong: KongSide;

before(async () => {
  dir = tempDir('kts-raw-bodies-');
  const plugins = path.join(dir, 'plugins');
  fs.mkdirSync(plugins);
  for (const f of PLUGINS) fs.copyFileSync(fixture('plugins', 'raw-bodies', f), path.join(plugins, f));
  const sock = path.join(dir, 'js_pluginserver.sock');
  server = await startServerProcess(['-d', plugins, '-p', dir], sock);
  conn = await RawConnection.open(sock);
  kong = new KongSide(conn);
});
after(async () => {
  conn?.close();
  server?.child.kill('SIGTERM');
  await server?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

// Non-UTF-8 bytes around text a plugin edits: e9 alone is not UTF-8 (Latin-1 "é").
const BODY = Buffer.concat([
  Buffer.from('caf'),
  Buffer.from([0xe9]),
  Buffer.from(' Earth '),
  Buffer.from([0xff, 0x00]),
]);

describe('raw bodies follow the plugin kind', () => {
  test('a kong-js-pdk module gets a string on Kong 2.x (str) and its edits reach Kong as the bytes it meant', async () => {
    const r = await kong.runAccess('js-transform', WIRE['Kong 2.x (str)'](BODY));
    // One UTF-16 unit per byte here: the string has as many units as the body has bytes.
    assert.equal(r.kind, `string:${BODY.length}`);
    const expected = Buffer.concat([
      Buffer.from('caf'),
      Buffer.from([0xe9]),
      Buffer.from(' Mars '),
      Buffer.from([0xff, 0x00]),
      Buffer.from('!'),
    ]);
    assert.deepEqual(r.sent, expected);
    assert.ok(r.sentBytes.includes(expected), `the exact bytes are on the wire: ${r.sentBytes.toString('hex')}`);
    assert.ok(!r.sentBytes.includes(Buffer.from([0xef, 0xbf, 0xbd])), 'no U+FFFD replacement');
  });

  test('a kong-js-pdk module gets a UTF-8 str body as the very string', async () => {
    const text = 'Grüße, Earth ✓';
    const r = await kong.runAccess('js-transform', WIRE['Kong 2.x (str)'](Buffer.from(text)));
    assert.equal(r.kind, `string:${text.length}`);
    assert.equal(r.sent.toString('utf8'), 'Grüße, Mars ✓!');
  });

  test('a kong-js-pdk module gets a Buffer on Kong 3.x (bin), as kong-js-pdk gives it', async () => {
    const r = await kong.runAccess('js-transform', WIRE['Kong 3.x (bin)'](BODY));
    assert.equal(r.kind, `buffer:${BODY.length}`);
    assert.deepEqual(r.sent, Buffer.concat([BODY, Buffer.from('!')]));
  });

  for (const name of ['buffers', 'typed']) {
    for (const [form, encode] of Object.entries(WIRE)) {
      test(`${name === 'typed' ? 'a definePlugin module' : "a module exporting RawBodies: 'buffer'"} gets a Buffer with the exact bytes on ${form}`, async () => {
        const r = await kong.runAccess(name, encode(BODY));
        assert.equal(r.kind, `buffer:${BODY.length}`);
        assert.deepEqual(r.sent, Buffer.concat([BODY, Buffer.from('!')]));
        assert.ok(r.sentBytes.includes(r.sent));
      });
    }
  }
});

describe('typed plugins are not lied to', () => {
  // One compiler run for the three files (each run costs seconds).
  const files = ['typed.ts', 'no-opt-in.ts', 'kong-js-typed.ts'];
  let errors: string[] = [];
  before(() => {
    errors = typeCheck(files.map((f) => fixture('plugins', 'raw-bodies', f)));
  });
  const of = (file: string): string[] => errors.filter((e) => e.includes(`${path.sep}${file}:`));

  test('definePlugin type-checks with getRawBody as Buffer; a PluginModule without RawBodies does not', () => {
    assert.deepEqual(of('typed.ts'), []);
    assert.equal(of('no-opt-in.ts').length, 1, errors.join('\n'));
    assert.match(of('no-opt-in.ts')[0]!, /Property 'RawBodies' is missing/);
  });

  test('KongJsPdk types raw bodies as string | Buffer and leaves the rest of the PDK as it is', () => {
    assert.deepEqual(of('kong-js-typed.ts'), []);
  });

  test('no other file has errors', () => {
    assert.equal(errors.length, of('no-opt-in.ts').length, errors.join('\n'));
  });
});

describe('a kong-js-pdk plugin behaves as on kong-js-pluginserver 0.6.0', () => {
  test('same PDK calls for UTF-8 bodies as str (Kong 2.x) and bin (Kong 3.x)', async () => {
    const theirsDir = tempDir('kts-raw-bodies-theirs-');
    const plugins = path.join(theirsDir, 'plugins');
    fs.mkdirSync(plugins);
    fs.copyFileSync(fixture('plugins', 'raw-bodies', 'js-transform.js'), path.join(plugins, 'js-transform.js'));
    const child = spawn(process.execPath, [KONG_JS_PLUGINSERVER, '-d', plugins, '--kong-prefix', theirsDir], {
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const sock = path.join(theirsDir, 'js_pluginserver.sock');
      const deadline = Date.now() + 10_000;
      while (!fs.existsSync(sock)) {
        assert.ok(Date.now() < deadline, 'kong-js-pluginserver did not listen');
        await new Promise((r) => setTimeout(r, 25));
      }
      const theirConn = await RawConnection.open(sock);
      const theirs = new KongSide(theirConn);
      try {
        for (const text of ['Hello, Earth!', 'Grüße aus Earth ✓ '.repeat(40)]) {
          for (const [form, encode] of Object.entries(WIRE)) {
            const a = await theirs.runAccess('js-transform', encode(Buffer.from(text)));
            const b = await kong.runAccess('js-transform', encode(Buffer.from(text)));
            assert.deepEqual(normalize(b.calls), normalize(a.calls), `${form}, ${text.length} characters`);
          }
        }
      } finally {
        theirConn.close();
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(theirsDir, { recursive: true, force: true });
    }
  });
});

/** Calls with byte arguments as hex, so str and bin compare by their bytes. */
function normalize(calls: PdkCallData[]): unknown {
  return calls.map((c) => ({
    Method: c.Method,
    Args: c.Args.map((a) => (a instanceof Uint8Array ? Buffer.from(a).toString('utf8') : a)),
  }));
}
