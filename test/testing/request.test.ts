/** The kit's fake Kong, request side: URL, headers, query, bodies, client, entities, nginx. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../src/index.js';
import { DEFAULT_ROUTE_ID, loadPlugin, type RequestSpec } from '../../src/testing/index.js';
import { inlinePlugin, probe } from './helpers.js';

/** What `fn` resolves with inside the plugin's access phase for this request. */
async function got(fn: (kong: Kong) => Promise<unknown>, spec: RequestSpec = {}, options = {}): Promise<unknown> {
  const { module, box } = probe(fn);
  const kit = await loadPlugin(module, options);
  await kit.request(spec).run();
  await kit.close();
  if (box.error) throw box.error;
  return box.value;
}

describe('request: URL', () => {
  const spec: RequestSpec = {
    method: 'post',
    url: 'https://API.example.test:8443/v1//a/./b/../c%7e%2F?x=1&y=two+words&flag&x=2',
  };

  test('scheme, host (lower-cased), port, method (upper-cased)', async () => {
    assert.equal(await got((k) => k.request.getScheme(), spec), 'https');
    assert.equal(await got((k) => k.request.getHost(), spec), 'api.example.test');
    assert.equal(await got((k) => k.request.getPort(), spec), 8443);
    assert.equal(await got((k) => k.request.getMethod(), spec), 'POST');
  });

  test('raw path is kept byte for byte; get_path is normalized like Kong', async () => {
    assert.equal(await got((k) => k.request.getRawPath(), spec), '/v1//a/./b/../c%7e%2F');
    assert.equal(await got((k) => k.request.getPath(), spec), '/v1/a/c~%2F');
    assert.equal(await got((k) => k.request.getPathWithQuery(), { url: '/p?q=1' }), '/p?q=1');
  });

  test('query: raw, multimap (flags are [], repeats are lists), single argument', async () => {
    assert.equal(await got((k) => k.request.getRawQuery(), spec), 'x=1&y=two+words&flag&x=2');
    assert.deepEqual(await got((k) => k.request.getQuery(), spec), { x: ['1', '2'], y: ['two words'], flag: [] });
    assert.equal(await got((k) => k.request.getQueryArg('x'), spec), '1');
    assert.equal(await got((k) => k.request.getQueryArg('flag'), spec), true);
    assert.equal(await got((k) => k.request.getQueryArg('nope'), spec), undefined);
  });

  test('an empty query is an empty map, not an empty array', async () => {
    assert.deepEqual(await got((k) => k.request.getQuery(), { url: '/' }), {});
  });

  test('a path-only URL is relative to http://localhost:8000', async () => {
    assert.equal(await got((k) => k.request.getHost(), { url: '/x' }), 'localhost');
    assert.equal(await got((k) => k.request.getPort(), { url: '/x' }), 8000);
    assert.equal(await got((k) => k.request.getPort(), { url: 'https://a.test/' }), 443);
    assert.equal(await got((k) => k.request.getHttpVersion(), {}), 1.1);
  });
});

describe('request: headers', () => {
  const headers = { 'X-Multi': ['a', 'b'], 'Content-Type': 'text/plain', 'X-Num': 5 };

  test('names are lower-cased; get_header returns the first value, with _ matching -', async () => {
    assert.equal(await got((k) => k.request.getHeader('x-multi'), { headers }), 'a');
    assert.equal(await got((k) => k.request.getHeader('X_MULTI'), { headers }), 'a');
    assert.equal(await got((k) => k.request.getHeader('x-num'), { headers }), '5');
    assert.equal(await got((k) => k.request.getHeader('x-missing'), { headers }), undefined);
  });

  test('get_headers is a multimap with host added', async () => {
    assert.deepEqual(await got((k) => k.request.getHeaders(), { headers, url: 'http://h.test/' }), {
      'x-multi': ['a', 'b'],
      'content-type': ['text/plain'],
      'x-num': ['5'],
      host: ['h.test'],
    });
  });

  test('calls made together (Promise.all) are answered one at a time, each with its own value', async () => {
    const { module, box } = probe((k) =>
      Promise.all([k.request.getHeader('x-a'), k.request.getHeader('x-b'), k.request.getMethod()]),
    );
    const kit = await loadPlugin(module);
    const r = await kit.request({ headers: { 'x-a': '1', 'x-b': '2' } }).run();
    assert.deepEqual(box.value, ['1', '2', 'GET']);
    assert.equal(r.calls.length, 3);
  });

  test('get_headers arrives as plugin.StepMultiMap', async () => {
    const { module } = probe((k) => k.request.getHeaders());
    const kit = await loadPlugin(module);
    const r = await kit.request({}).run();
    assert.equal(r.calls[0]!.step, 'plugin.StepMultiMap');
  });
});

describe('request: bodies', () => {
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);

  test('get_raw_body is a Buffer with the exact bytes (not UTF-8 decoded)', async () => {
    const v = await got((k) => k.request.getRawBody(), { method: 'POST', body: bytes });
    assert.ok(Buffer.isBuffer(v));
    assert.deepEqual(v, bytes);
  });

  test('an object body is sent as JSON with a content-type and a content-length', async () => {
    const spec: RequestSpec = { method: 'POST', body: { a: 1 } };
    assert.equal(await got((k) => k.request.getHeader('content-type'), spec), 'application/json');
    assert.equal(await got((k) => k.request.getHeader('content-length'), spec), '7');
    assert.deepEqual(await got((k) => k.request.getBody(), spec), { a: 1 });
  });

  test('get_body parses forms like nginx (repeats → lists, flags → true)', async () => {
    const spec: RequestSpec = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&a=2&b=x%20y&f',
    };
    assert.deepEqual(await got((k) => k.request.getBody(), spec), { a: ['1', '2'], b: 'x y', f: true });
    const asForm: RequestSpec = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: { b: 'x y', a: '1' },
    };
    assert.equal(await got(async (k) => (await k.request.getRawBody())?.toString(), asForm), 'a=1&b=x%20y');
  });

  test('get_body: an empty JSON object comes back as [] (Kong packs an empty Lua table as an array)', async () => {
    assert.deepEqual(
      await got((k) => k.request.getBody(), { body: '{}', headers: { 'content-type': 'application/json' } }),
      [],
    );
  });

  test('get_body: JSON nulls vanish (cjson.null → nil)', async () => {
    assert.deepEqual(
      await got((k) => k.request.getBody(), {
        body: '{"a":null,"b":1}',
        headers: { 'content-type': 'application/json' },
      }),
      { b: 1 },
    );
  });

  test('get_body with the mimetype argument overrides the content-type', async () => {
    assert.deepEqual(
      await got((k) => k.request.getBody('application/json'), {
        body: '[1,2]',
        headers: { 'content-type': 'text/plain' },
      }),
      [1, 2],
    );
  });

  test('multipart bodies are not simulated', async () => {
    const { module } = probe((k) => k.request.getBody());
    const kit = await loadPlugin(module);
    await assert.rejects(
      kit.request({ body: 'x', headers: { 'content-type': 'multipart/form-data; boundary=x' } }).run(),
      /not simulated: kong\.request\.get_body \(multipart/,
    );
  });
});

describe('request: client, forwarded headers, entities', () => {
  test('client address and port', async () => {
    assert.equal(await got((k) => k.client.getIp(), { client: { ip: '203.0.113.9', port: 4242 } }), '203.0.113.9');
    assert.equal(await got((k) => k.client.getPort(), { client: { ip: '203.0.113.9', port: 4242 } }), 4242);
  });

  test('X-Forwarded-* count only for trusted clients (Kong trusted_ips)', async () => {
    const spec: RequestSpec = {
      headers: {
        'x-forwarded-for': '198.51.100.7, 10.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'public.test',
      },
    };
    assert.equal(await got((k) => k.client.getForwardedIp(), spec), '127.0.0.1');
    assert.equal(await got((k) => k.client.getForwardedIp(), spec, { trustedIps: ['127.0.0.1'] }), '198.51.100.7');
    assert.equal(await got((k) => k.request.getForwardedScheme(), spec, { trustedIps: ['127.0.0.1'] }), 'https');
    assert.equal(await got((k) => k.request.getForwardedHost(), spec, { trustedIps: ['127.0.0.1'] }), 'public.test');
    assert.equal(await got((k) => k.ip.isTrusted('127.0.0.1'), spec, { trustedIps: ['127.0.0.1'] }), true);
  });

  test('route and service: defaults, partials completed, null for none', async () => {
    const route = (await got((k) => k.router.getRoute())) as { id: string; name: string; protocols: string[] };
    assert.equal(route.id, DEFAULT_ROUTE_ID);
    assert.equal(route.name, 'test-route');
    const named = (await got((k) => k.router.getRoute(), { route: { name: 'orders', paths: ['/orders'] } })) as {
      name: string;
      paths: string[];
      strip_path: boolean;
    };
    assert.deepEqual([named.name, named.paths, named.strip_path], ['orders', ['/orders'], true]);
    assert.equal(await got((k) => k.router.getRoute(), { route: null }), undefined);
    const service = (await got((k) => k.router.getService(), { service: { host: 'orders.internal' } })) as {
      host: string;
      port: number;
    };
    assert.deepEqual([service.host, service.port], ['orders.internal', 80]);
  });

  test('entities arrive through their typed Step methods', async () => {
    const { module } = probe(async (k) => [
      await k.router.getRoute(),
      await k.router.getService(),
      await k.client.getConsumer(),
      await k.client.getCredential(),
      await k.node.getMemoryStats(),
    ]);
    const kit = await loadPlugin(module);
    const r = await kit.request({ consumer: { username: 'alice' }, credential: { key: 'k' } }).run();
    assert.deepEqual(
      r.calls.map((c) => c.step),
      [
        'plugin.StepRoute',
        'plugin.StepService',
        'plugin.StepConsumer',
        'plugin.StepCredential',
        'plugin.StepMemoryStats',
      ],
    );
  });

  test('authenticate sets the consumer and credential (StepCredential, no Data); later reads see them', async () => {
    const { module, box } = probe(async (k) => {
      await k.client.authenticate(
        { id: 'c1', created_at: 1, username: 'bob' },
        { id: 'cred1', consumer: { id: 'c1' } },
      );
      return [await k.client.getConsumer(), await k.client.getCredential()];
    });
    const kit = await loadPlugin(module);
    const r = await kit.request().run();
    assert.deepEqual(box.value, [
      { id: 'c1', created_at: 1, username: 'bob' },
      { id: 'cred1', consumer: { id: 'c1' } },
    ]);
    assert.equal(r.calls[0]!.step, 'plugin.StepCredential');
    assert.equal(r.calls[0]!.result, undefined);
    assert.equal(r.consumer?.username, 'bob');
  });

  test('authenticate with neither consumer nor credential raises in Kong', async () => {
    const { module } = probe((k) => k.client.authenticate(undefined, undefined));
    const kit = await loadPlugin(module);
    await assert.rejects(
      kit.request().run(),
      (e: Error & { kind?: string }) =>
        e.kind === 'kong-raised' && /either credential or consumer must be provided/.test(e.message),
    );
  });

  test('load_consumer finds by id, and by username only when asked', async () => {
    const spec: RequestSpec = { consumers: [{ id: 'id-1', username: 'carol' }] };
    assert.equal(((await got((k) => k.client.loadConsumer('id-1'), spec)) as { username: string }).username, 'carol');
    assert.equal(await got((k) => k.client.loadConsumer('carol'), spec), undefined);
    assert.equal(((await got((k) => k.client.loadConsumer('carol', true), spec)) as { id: string }).id, 'id-1');
  });
});

describe('request: nginx', () => {
  test("get_var derives common variables and takes the test's own", async () => {
    const spec: RequestSpec = {
      url: '/p?a=1',
      headers: { 'x-trace': 't1', cookie: 'sid=abc; theme=dark' },
      vars: { my_var: 'mine' },
    };
    assert.equal(await got((k) => k.nginx.getVar('request_uri'), spec), '/p?a=1');
    assert.equal(await got((k) => k.nginx.getVar('http_x_trace'), spec), 't1');
    assert.equal(await got((k) => k.nginx.getVar('arg_a'), spec), '1');
    assert.equal(await got((k) => k.nginx.getVar('cookie_theme'), spec), 'dark');
    assert.equal(await got((k) => k.nginx.getVar('my_var'), spec), 'mine');
    assert.equal(await got((k) => k.nginx.getVar('no_such_variable'), spec), undefined);
    assert.match(String(await got((k) => k.nginx.getVar('request_id'), spec)), /^[0-9a-f]{32}$/);
  });

  test('get_ctx/set_ctx work on ngx.ctx and the result shows it', async () => {
    const { module, box } = probe(async (k) => {
      await k.nginx.setCtx('mine', { n: 1 });
      return [await k.nginx.getCtx('mine'), await k.nginx.getCtx('given')];
    });
    const kit = await loadPlugin(module);
    const r = await kit.request({ ngxCtx: { given: 'g' } }).run();
    assert.deepEqual(box.value, [{ n: 1 }, 'g']);
    assert.deepEqual(r.ngxCtx, { given: 'g', mine: { n: 1 } });
  });

  test('subsystem, start times, node and plugin ids', async () => {
    const spec: RequestSpec = { startTime: 1_700_000_123_456 };
    assert.equal(await got((k) => k.nginx.getSubsystem(), spec), 'http');
    assert.equal(await got((k) => k.nginx.reqStartTime(), spec), 1_700_000_123.456);
    assert.equal(await got((k) => k.request.getStartTime(), spec), 1_700_000_123_456);
    assert.match(String(await got((k) => k.node.getId())), /^[0-9a-f-]{36}$/);
    let seen: unknown[] = [];
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k, config) => {
          seen = [await k.plugin.getId(), config.__plugin_id];
        },
      }),
    );
    await kit.request().run();
    assert.match(String(seen[0]), /^[0-9a-f-]{36}$/);
    assert.equal(seen[0], seen[1]);
  });
});
