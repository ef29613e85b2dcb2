/** The kit's fake Kong, the way out: service request changes, the response, exit and error, the phase chain. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlugin } from '../../src/testing/index.js';
import { inlinePlugin } from './helpers.js';

describe('service request', () => {
  test("starts as the client request, with the service's host; route strip_path and service path apply", async () => {
    const kit = await loadPlugin(inlinePlugin({ access: () => {} }));
    const r = await kit
      .request({
        method: 'PUT',
        url: '/orders/42?x=1',
        headers: { 'x-a': '1' },
        body: 'b',
        route: { paths: ['/orders'] },
        service: { host: 'orders.internal', port: 8080, path: '/api/v2' },
      })
      .run();
    const sr = r.serviceRequest;
    assert.deepEqual(
      [sr.method, sr.scheme, sr.host, sr.port, sr.path, sr.query],
      ['PUT', 'http', 'orders.internal', 8080, '/api/v2/42', 'x=1'],
    );
    assert.equal(sr.header('host'), 'orders.internal:8080');
    assert.equal(sr.header('x-a'), '1');
    assert.equal(sr.body.toString(), 'b');
  });

  test('headers: set, add, clear, set_headers', async () => {
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.service.request.setHeader('x-set', 'v1');
          await k.service.request.setHeader('X-Set', 'v2');
          await k.service.request.addHeader('x-add', 'a');
          await k.service.request.addHeader('x-add', 'b');
          await k.service.request.clearHeader('x-drop');
          await k.service.request.setHeaders({ 'x-many': ['m1', 'm2'], 'x-one': 'o' });
          await k.service.request.setHeader('x-num', 7);
        },
      }),
    );
    const r = await kit.request({ headers: { 'x-drop': 'gone', 'x-keep': 'kept' } }).run();
    const h = r.serviceRequest.headers;
    assert.deepEqual(h['x-set'], ['v2']);
    assert.deepEqual(h['x-add'], ['a', 'b']);
    assert.equal(h['x-drop'], undefined);
    assert.deepEqual(h['x-many'], ['m1', 'm2']);
    assert.deepEqual(h['x-num'], ['7']);
    assert.equal(r.serviceRequest.header('x-keep'), 'kept');
  });

  test('path, query (sorted, flags, lists), clear_query_arg, method, scheme', async () => {
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.service.request.setPath('/new/path');
          await k.service.request.setQuery({ z: 'last', a: ['1', '2'], flag: true, sp: 'a b' });
          await k.service.request.clearQueryArg('z');
          await k.service.request.setMethod('POST');
          await k.service.request.setScheme('https');
        },
      }),
    );
    const r = await kit.request({ url: '/old?q=1' }).run();
    const sr = r.serviceRequest;
    assert.equal(sr.path, '/new/path');
    assert.equal(sr.query, 'a=1&a=2&flag&sp=a%20b');
    assert.deepEqual(sr.queryArgs, { a: ['1', '2'], flag: [], sp: ['a b'] });
    assert.equal(sr.method, 'POST');
    assert.equal(sr.scheme, 'https');
  });

  test('set_raw_query, set_raw_body (Buffer kept exact), set_body as JSON and as a form', async () => {
    const bytes = Buffer.from([0xc3, 0x28, 0x00]);
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.service.request.setRawQuery('raw=1&b');
          await k.service.request.setRawBody(bytes);
        },
      }),
    );
    const r = await kit.request({ method: 'POST' }).run();
    assert.equal(r.serviceRequest.query, 'raw=1&b');
    assert.deepEqual(r.serviceRequest.body, bytes);
    assert.equal(r.serviceRequest.header('content-length'), '3');

    let ok: unknown;
    const json = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          ok = await k.service.request.setBody({ url: 'http://x/y', n: 1 }, 'application/json');
        },
      }),
    );
    const rj = await json.request({ method: 'POST' }).run();
    assert.equal(ok, true);
    assert.equal(rj.serviceRequest.body.toString(), '{"url":"http:\\/\\/x\\/y","n":1}', 'cjson escapes /');
    assert.equal(rj.serviceRequest.header('content-type'), 'application/json');
    const form = await loadPlugin(inlinePlugin({ access: (k) => k.service.request.setBody({ b: '2', a: 'x y' }) }));
    const rf = await form
      .request({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      .run();
    assert.equal(rf.serviceRequest.body.toString(), 'a=x%20y&b=2');
  });

  test('set_body without any content type fails the (nil, err) way', async () => {
    let got: unknown = 'unset';
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          got = await k.service.request.setBody({ a: 1 });
        },
      }),
    );
    const r = await kit.request({ method: 'POST' }).run();
    assert.equal(got, undefined);
    assert.equal(r.calls[0]!.outcome, 'nil-err');
    assert.match(r.calls[0]!.error!, /content type was neither explicitly given/);
  });

  test('target, upstream, retries, timeouts, tls verify, buffering', async () => {
    const results: unknown[] = [];
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.service.setTarget('10.0.0.5', 9000);
          results.push(await k.service.setUpstream('backend'));
          await k.service.setRetries(2);
          await k.service.setTimeouts(1000, 2000, 3000);
          results.push(await k.service.setTlsVerify(true));
          await k.service.request.enableBuffering();
        },
      }),
      { upstreams: ['backend'] },
    );
    const r = await kit.request().run();
    const sr = r.serviceRequest;
    assert.deepEqual(results, [true, true]);
    assert.deepEqual(sr.target, { host: '10.0.0.5', port: 9000 });
    assert.equal(sr.upstream, 'backend');
    assert.equal(sr.retries, 2);
    assert.deepEqual(sr.timeouts, { connect: 1000, write: 2000, read: 3000 });
    assert.equal(sr.tlsVerify, true);
    assert.equal(sr.bufferingEnabled, true);
  });

  test('bad arguments make Kong raise: set_path without /, set_method with an unknown method, set_target with a bad port', async () => {
    for (const [call, text] of [
      [(k: import('../../src/index.js').Kong) => k.service.request.setPath('relative'), /path must start with \//],
      [(k: import('../../src/index.js').Kong) => k.service.request.setMethod('FETCH'), /invalid method: FETCH/],
      [
        (k: import('../../src/index.js').Kong) => k.service.setTarget('h', 70000),
        /port must be an integer between 0 and 65535/,
      ],
    ] as const) {
      const kit = await loadPlugin(inlinePlugin({ access: (k) => call(k) }));
      await assert.rejects(
        kit.request().run(),
        (e: Error & { kind?: string }) =>
          e.kind === 'kong-raised' && text.test(e.message) && /HTTP 500/.test(e.message),
      );
    }
  });
});

describe('response', () => {
  test("headers set in access are applied on top of the service's response; the response phase sees status and headers", async () => {
    let seen: unknown[] = [];
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.response.setHeader('x-from-access', 'a');
          await k.response.setHeader('server', 'mine');
        },
        response: async (k) => {
          seen = [
            await k.response.getStatus(),
            await k.response.getHeader('x-up'),
            await k.response.getSource(),
            await k.response.getHeaders(),
          ];
          await k.response.addHeader('x-up', 'added');
          await k.response.clearHeader('x-remove');
          await k.response.setStatus(299);
        },
      }),
    );
    const r = await kit
      .request({
        upstream: { status: 201, headers: { 'x-up': 'u', server: 'upstream', 'x-remove': 'r' }, body: 'hello' },
      })
      .run();
    assert.deepEqual(seen.slice(0, 3), [201, 'u', 'service']);
    assert.deepEqual(seen[3], { 'x-up': ['u'], server: ['mine'], 'x-remove': ['r'], 'x-from-access': ['a'] });
    assert.equal(r.response.status, 299);
    assert.deepEqual(r.response.headers['x-up'], ['u', 'added']);
    assert.equal(r.response.header('x-remove'), undefined);
    assert.equal(r.response.body.toString(), 'hello');
    assert.equal(r.response.source, 'service');
    assert.equal(r.proxied, true);
  });

  test('a header value that is not a string, number, boolean or list of strings makes Kong raise', async () => {
    const kit = await loadPlugin(inlinePlugin({ access: (k) => k.response.setHeader('x', { not: 'ok' } as never) }));
    await assert.rejects(
      kit.request().run(),
      /Kong raises a Lua error on kong\.response\.set_header in the access phase: .*invalid header value for "x"/,
    );
  });
});

describe('exit and error', () => {
  test('exit: status, JSON body with content-type, headers; later calls of the handler are not sent', async () => {
    const kit = await loadPlugin(
      inlinePlugin({
        access: async (k) => {
          await k.response.setHeader('x-early', 'e');
          await k.response.exit(403, { message: 'no' }, { 'X-Reason': 'policy' });
          await k.log.err('never reaches Kong');
        },
      }),
    );
    const r = await kit.request().run();
    assert.equal(r.exit?.status, 403);
    assert.equal(r.exit?.via, 'exit');
    assert.deepEqual(r.exit?.body, { message: 'no' });
    assert.deepEqual(r.exit?.headers, { 'x-reason': 'policy' });
    assert.equal(r.exit?.rawBody.toString(), '{"message":"no"}');
    assert.equal(r.response.status, 403);
    assert.equal(r.response.source, 'exit');
    assert.equal(r.response.header('content-type'), 'application/json; charset=utf-8');
    assert.equal(r.response.header('x-early'), 'e');
    assert.equal(r.proxied, false);
    assert.deepEqual(
      r.calls.map((c) => c.method),
      ['kong.response.set_header', 'kong.response.exit'],
    );
    assert.equal(r.logs.length, 0);
  });

  test('exit with a string or bytes body sends it as is, with no content-type', async () => {
    const kit = await loadPlugin(inlinePlugin({ access: (k) => k.response.exit(200, Buffer.from([1, 2, 3])) }));
    const r = await kit.request().run();
    assert.deepEqual(r.exit?.rawBody, Buffer.from([1, 2, 3]));
    assert.equal(r.response.header('content-type'), undefined);
  });

  test('exit(status, undefined, headers) keeps the headers (the client sends "" for the missing body)', async () => {
    const kit = await loadPlugin(inlinePlugin({ access: (k) => k.response.exit(204, undefined, { 'x-h': '1' }) }));
    const r = await kit.request().run();
    assert.deepEqual(r.calls[0]!.args, [204, '', { 'x-h': '1' }]);
    assert.deepEqual(r.exit?.headers, { 'x-h': '1' });
  });

  test("error: Kong's default message for the status, as JSON", async () => {
    const kit = await loadPlugin(inlinePlugin({ access: (k) => k.response.error(429) }));
    const r = await kit.request().run();
    assert.equal(r.exit?.via, 'error');
    assert.deepEqual(r.exit?.body, { message: 'Too many requests' });
    assert.equal(r.response.body.toString(), '{"message":"Too many requests"}');
  });

  test('exit stops the chain: rewrite → exit, access and response are skipped, log still runs and sees the exit', async () => {
    let logSaw: unknown[] = [];
    const kit = await loadPlugin(
      inlinePlugin({
        rewrite: (k) => k.response.exit(401),
        access: () => assert.fail('access must not run'),
        response: () => assert.fail('response must not run'),
        log: async (k) => {
          logSaw = [await k.response.getStatus(), await k.response.getSource()];
        },
      }),
    );
    const r = await kit.request().run();
    assert.deepEqual(r.ran, ['rewrite', 'log']);
    assert.deepEqual(
      r.skipped.map((s) => s.phase),
      ['access', 'response'],
    );
    assert.match(r.skipped[0]!.reason, /kong\.response\.exit\(401\) in rewrite/);
    assert.deepEqual(logSaw, [401, 'exit']);
  });

  test('exit is refused where Kong refuses it (the response phase)', async () => {
    const kit = await loadPlugin(inlinePlugin({ response: (k) => k.response.exit(500) }));
    await assert.rejects(
      kit.request().run(),
      /kong\.response\.exit: function cannot be called in response phase \(only in: rewrite, access, preread\)/,
    );
  });

  test('exit with a status out of range makes Kong raise', async () => {
    const kit = await loadPlugin(inlinePlugin({ access: (k) => k.response.exit(99) }));
    await assert.rejects(kit.request().run(), /code must be an integer between 100 and 599/);
  });
});

describe('phases', () => {
  test("phases run in Kong's order whatever order they are given in; unimplemented ones are skipped", async () => {
    const order: string[] = [];
    const kit = await loadPlugin(
      inlinePlugin({ access: () => void order.push('access'), log: () => void order.push('log') }),
    );
    const r = await kit.request().run(['log', 'rewrite', 'access']);
    assert.deepEqual(order, ['access', 'log']);
    assert.deepEqual(r.ran, ['access', 'log']);
    assert.deepEqual(r.skipped, [{ phase: 'rewrite', reason: 'the plugin does not implement it' }]);
  });

  test('the default is every http phase the plugin implements', async () => {
    const kit = await loadPlugin(
      inlinePlugin({ certificate: () => {}, access: () => {}, preread: () => {}, log: () => {} }),
    );
    assert.deepEqual((await kit.request({ url: '/' }).run()).ran, ['access', 'log']);
    assert.deepEqual((await kit.request({ url: 'https://x.test/' }).run()).ran, ['certificate', 'access', 'log']);
  });

  test('a request continues across runs, and cannot go back', async () => {
    const kit = await loadPlugin(
      inlinePlugin({
        access: (k) => k.ctx.shared.set('n', 1),
        log: async (k) => k.log.info(`n=${String(await k.ctx.shared.get('n'))}`),
      }),
    );
    const req = kit.request();
    await req.run('access');
    const r = await req.run('log');
    assert.deepEqual(r.ran, ['access', 'log']);
    assert.deepEqual(r.logMessages('info'), ['n=1']);
    await assert.rejects(
      req.run('access'),
      (e: Error & { kind?: string }) => e.kind === 'usage' && /log already ran/.test(e.message),
    );
    await assert.rejects(req.run('bogus' as never), /unknown phase bogus/);
  });
});
