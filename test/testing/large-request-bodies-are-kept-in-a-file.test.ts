/**
 * A request body larger than nginx's client_body_buffer_size (8 KiB in Kong by default) is kept
 * in a temporary file, and what `kong.request.getRawBody()` does with it depends on the Kong
 * version: 2.x rejects the call, 3.0 – 3.7 raise while packing the nil, 3.8+ read the file
 * when given `maxAllowedFileSize`. The kit does the same by default.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../src/index.js';
import { KitError, loadPlugin, type KitOptions, type RequestSpec } from '../../src/testing/index.js';
import { probe } from './helpers.js';

async function attempt(fn: (kong: Kong) => Promise<unknown>, spec: RequestSpec = {}, options: KitOptions = {}) {
  const { module, box } = probe(fn);
  const kit = await loadPlugin(module, options);
  try {
    const result = await kit.request(spec).run();
    return { ...box, result };
  } finally {
    await kit.close();
  }
}

function isKitError(kind: string, text?: RegExp) {
  return (e: unknown) => e instanceof KitError && e.kind === kind && (text === undefined || text.test(e.message));
}

const post = (size: number, extra: RequestSpec = {}): RequestSpec => ({
  method: 'POST',
  body: Buffer.alloc(size, 0x61),
  ...extra,
});

describe('by default a body over 8192 bytes is in a file', () => {
  test('8192 bytes are read from memory on every version', async () => {
    for (const kongVersion of ['2.8.0', '3.4.0', '3.10.0']) {
      const r = await attempt((k) => k.request.getRawBody(), post(8192), { kongVersion });
      assert.equal(r.error, undefined, kongVersion);
      assert.equal((r.value as Buffer).length, 8192, kongVersion);
    }
  });

  test("8193 bytes without maxAllowedFileSize: Kong 3.x raises in its MessagePack packer (Kong's own text)", async () => {
    await assert.rejects(
      attempt((k) => k.request.getRawBody(), post(8193)),
      isKitError(
        'kong-raised',
        /did not fit into client body buffer.*attempt to get length of local 'str' \(a nil value\)/,
      ),
    );
  });

  test('8193 bytes on Kong 2.x: the call rejects with the PDKError of Kong\'s "did not fit" text', async () => {
    const r = await attempt((k) => k.request.getRawBody(), post(8193), { kongVersion: '2.8.0' });
    assert.equal((r.error as Error).name, 'PDKError');
    assert.match(
      (r.error as Error).message,
      /kong\.request\.get_raw_body failed: request body did not fit into client body buffer, consider raising 'client_body_buffer_size'/,
    );
    assert.equal(r.result.calls[0]!.step, 'plugin.StepError');
  });

  test('Kong 3.0 – 3.7 ignore maxAllowedFileSize: the call still raises', async () => {
    await assert.rejects(
      attempt((k) => k.request.getRawBody(1 << 20), post(10_000), { kongVersion: '3.7.1' }),
      isKitError('kong-raised', /fix_raw cannot pack nil/),
    );
  });

  test('clientBodyBufferSize moves the threshold, as nginx_http_client_body_buffer_size does', async () => {
    const big = { clientBodyBufferSize: 65536, kongVersion: '3.4.0' };
    const r = await attempt((k) => k.request.getRawBody(), post(20_000), big);
    assert.equal((r.value as Buffer).length, 20_000);
    await assert.rejects(
      attempt((k) => k.request.getRawBody(), post(2000), { clientBodyBufferSize: 1024 }),
      isKitError('kong-raised'),
    );
  });

  test('bodyInFile forces either case', async () => {
    const inMemory = await attempt((k) => k.request.getRawBody(), post(50_000, { bodyInFile: false }));
    assert.equal((inMemory.value as Buffer).length, 50_000);
    const r2 = await attempt((k) => k.request.getRawBody(), post(3, { bodyInFile: true }), { kongVersion: '2.8.0' });
    assert.match(String(r2.error), /did not fit/);
  });

  test('clientBodyBufferSize must be a byte count', async () => {
    const { module } = probe((k) => k.request.getRawBody());
    await assert.rejects(loadPlugin(module, { clientBodyBufferSize: -1 }), isKitError('usage', /clientBodyBufferSize/));
  });
});

describe('Kong 3.8+ reads the file when given maxAllowedFileSize', () => {
  test('a limit at least the body size returns the exact bytes', async () => {
    const body = Buffer.from(Array.from({ length: 9000 }, (_, i) => i % 256));
    const r = await attempt((k) => k.request.getRawBody(9000), { method: 'POST', body }, { kongVersion: '3.8.0' });
    assert.deepEqual(r.value, body);
  });

  test('0 reads a file of any size', async () => {
    const r = await attempt((k) => k.request.getRawBody(0), post(100_000), { kongVersion: '3.9.0' });
    assert.equal((r.value as Buffer).length, 100_000);
  });

  test('a file over the limit: Kong\'s (nil, "request body file too big") and the same raise', async () => {
    await assert.rejects(
      attempt((k) => k.request.getRawBody(9000), post(9001)),
      isKitError('kong-raised', /request body file too big: 9001 > 9000/),
    );
  });

  test('a negative limit is no limit given', async () => {
    await assert.rejects(
      attempt((k) => k.request.getRawBody(-1), post(9001)),
      isKitError('kong-raised', /did not fit into client body buffer/),
    );
  });
});

describe('getBody of a body in a file', () => {
  const json = (size: number): RequestSpec => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pad: 'x'.repeat(size) }),
  });

  test('JSON: undefined on 3.x without a limit, parsed on 3.8+ with one (after mimetype and maxArgs)', async () => {
    const none = await attempt((k) => k.request.getBody(), json(10_000));
    assert.equal(none.error, undefined);
    assert.equal(none.value, undefined);
    assert.equal(none.result.calls[0]!.outcome, 'nil-err');
    // maxAllowedFileSize is the third argument: the first two must be given (Kong drops arguments after a nil).
    const read = await attempt((k) => k.request.getBody('application/json', 100, 0), json(10_000));
    assert.equal((read.value as { pad: string }).pad.length, 10_000);
  });

  test('form arguments cannot be read from a file on any version', async () => {
    const form: RequestSpec = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `a=${'x'.repeat(9000)}`,
    };
    const three = await attempt((k) => k.request.getBody('application/x-www-form-urlencoded', 100, 0), form);
    assert.equal(three.value, undefined);
    assert.equal(three.result.calls[0]!.error, 'request body in temp file not supported');
    const two = await attempt((k) => k.request.getBody(), form, { kongVersion: '2.8.0' });
    assert.match(String(two.error), /request body in temp file not supported/);
  });
});
