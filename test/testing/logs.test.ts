/** The kit's fake Kong: kong.log lines, kong.log.serialize, kong.ctx.shared across phases. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlugin } from '../../src/testing/index.js';
import { inlinePlugin } from './helpers.js';

/** The fields of `kong.log.serialize`'s record these tests read. */
interface SerializedRecord {
  request: {
    method: string;
    url: string;
    querystring: unknown;
    headers: Record<string, unknown>;
    tls?: { version: string };
  };
  response: { status: number };
  upstream_status: string;
  latencies: { request: number };
  consumer?: { username: string };
  authenticated_entity?: { consumer_id: string };
  route?: { name: string };
  service?: { name: string };
  source: string;
  tries: unknown[];
  extra?: unknown;
  missing?: unknown;
}

describe('kong.log', () => {
  test('levels, arguments concatenated with Lua tostring (tables print as table: 0x…), phases recorded', async () => {
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.log('plain ', 1, ' ', true);
          await k.log.err('failed: ', 'reason');
          await k.log.warn({ a: 1 });
          await k.log.debug(1.5, null);
        },
        log: (k) => k.log.info('done'),
      }),
    );
    const r = await kit.request().run();
    assert.deepEqual(
      r.logs.map((l) => [l.phase, l.level, l.message]),
      [
        ['access', 'notice', 'plain 1 true'],
        ['access', 'err', 'failed: reason'],
        ['access', 'warn', r.logs[2]!.message],
        ['access', 'debug', '1.5'], // a trailing nil never reaches Kong
        ['log', 'info', 'done'],
      ],
    );
    assert.match(r.logs[2]!.message, /^table: 0x[0-9a-f]{8}$/);
    assert.deepEqual(r.logs[2]!.args, [{ a: 1 }]);
    assert.deepEqual(r.logMessages('err'), ['failed: reason']);
  });

  test('inspect pretty-prints with spaces and can be turned off', async () => {
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.log.inspect('s', { a: [1] }, 2);
          await k.log.inspect.off();
          await k.log.inspect('hidden');
          await k.log.inspect.on();
          await k.log.inspect('shown');
        },
      }),
    );
    const r = await kit.request().run();
    assert.deepEqual(r.logMessages('inspect'), ['"s" {"a":[1]} 2', '"shown"']);
  });
});

describe('kong.log.serialize', () => {
  test("is JSON text (with cjson's \\/ escapes) describing the request, the response and the entities", async () => {
    let text = '';
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.log.setSerializeValue('extra.tag', 'first');
          await k.log.setSerializeValue('extra.tag', 'ignored', { mode: 'add' });
          await k.log.setSerializeValue('request.method', 'REPLACED', { mode: 'replace' });
          await k.log.setSerializeValue('missing', 'ignored', { mode: 'replace' });
        },
        log: async (k) => {
          text = await k.log.serialize();
        },
      }),
    );
    const r = await kit
      .request({
        method: 'POST',
        url: 'https://api.test/v1/x?q=1&f',
        headers: { 'x-h': 'v' },
        consumer: { username: 'dave' },
        credential: { consumer_id: 'c' },
        upstream: { status: 202 },
        latencies: { request: 33 },
      })
      .run();
    assert.equal(typeof text, 'string');
    assert.ok(text.includes('"uri":"\\/v1\\/x?q=1&f"'), 'slashes escaped as cjson does');
    const rec = JSON.parse(text) as SerializedRecord;
    assert.equal(rec.request.method, 'REPLACED');
    assert.equal(rec.request.url, 'https://api.test/v1/x?q=1&f');
    assert.deepEqual(rec.request.querystring, { q: '1', f: true });
    assert.equal(rec.request.headers['x-h'], 'v');
    assert.equal(rec.response.status, 202);
    assert.equal(rec.upstream_status, '202');
    assert.equal(rec.latencies.request, 33);
    assert.equal(rec.consumer?.username, 'dave');
    assert.equal(rec.authenticated_entity?.consumer_id, 'c');
    assert.equal(rec.route?.name, 'test-route');
    assert.equal(rec.service?.name, 'test-service');
    assert.deepEqual(rec.extra, { tag: 'first' });
    assert.equal(rec.missing, undefined);
    assert.equal(rec.request.tls?.version, 'TLSv1.3');
    assert.deepEqual(r.serializeValues, { extra: { tag: 'first' } });
  });

  test("after an exit the record shows Kong's response and no upstream", async () => {
    let rec: SerializedRecord | undefined;
    const kit = await loadPlugin(
      inlinePlugin({
        access: (k) => k.response.exit(418, 'teapot'),
        log: async (k) => {
          rec = JSON.parse(await k.log.serialize()) as SerializedRecord;
        },
      }),
    );
    await kit.request().run();
    assert.equal(rec?.response.status, 418);
    assert.equal(rec?.upstream_status, '');
    assert.equal(rec?.source, 'kong');
    assert.deepEqual(rec?.tries, []);
  });

  test('is only allowed in the log phase', async () => {
    const kit = await loadPlugin(inlinePlugin({ access: (k) => k.log.serialize() }));
    await assert.rejects(
      kit.request().run(),
      /kong\.log\.serialize: function cannot be called in access phase \(only in: log\)/,
    );
  });
});

describe('kong.ctx.shared', () => {
  test('persists across the phases of one request, not across requests', async () => {
    const seen: unknown[] = [];
    const kit = await loadPlugin(
      inlinePlugin({
        rewrite: async (k) => {
          seen.push(await k.ctx.shared.get('count'));
          await k.ctx.shared.set('count', 1);
        },
        access: async (k) => k.ctx.shared.set('count', ((await k.ctx.shared.get('count')) as number) + 1),
        response: async (k) => k.ctx.shared.set('count', ((await k.ctx.shared.get('count')) as number) + 1),
        log: async (k) => void seen.push(await k.ctx.shared.get('count')),
      }),
    );
    const r1 = await kit.request().run();
    const r2 = await kit.request({ ctxShared: { count: 10, other: 'x' } }).run();
    assert.deepEqual(seen, [undefined, 3, 10, 3]);
    assert.deepEqual(r1.ctxShared, { count: 3 });
    assert.deepEqual(r2.ctxShared, { count: 3, other: 'x' });
  });

  test('setting nil removes the key', async () => {
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.ctx.shared.set('a', 1);
          await k.ctx.shared.set('a', undefined);
        },
      }),
    );
    assert.deepEqual((await kit.request().run()).ctxShared, {});
  });
});
