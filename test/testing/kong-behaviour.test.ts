/**
 * How the kit behaves like Kong where Kong is surprising: the (nil, err) convention in 2.x and
 * 3.x, Lua's view of values, Lua errors, the log timer, versions; and how it fails a test for
 * what it cannot simulate, plugin exceptions and hangs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../src/index.js';
import {
  KitError,
  kongRaises,
  loadPlugin,
  pdkError,
  SIMULATED_FUNCTIONS,
  type KitOptions,
  type RequestSpec,
} from '../../src/testing/index.js';
import { inlinePlugin, probe } from './helpers.js';

async function attempt(fn: (kong: Kong) => Promise<unknown>, spec: RequestSpec = {}, options: KitOptions = {}) {
  const { module, box } = probe(fn);
  const kit = await loadPlugin(module, options);
  const result = await kit.request(spec).run();
  await kit.close();
  return { ...box, result };
}

function isKitError(kind: string, text?: RegExp) {
  return (e: unknown) => e instanceof KitError && e.kind === kind && (text === undefined || text.test(e.message));
}

describe('(nil, err): Kong 3.x answers nil, Kong 2.x answers StepError', () => {
  test('set_upstream for an unknown upstream: undefined on 3.x', async () => {
    const r = await attempt((k) => k.service.setUpstream('nowhere'));
    assert.equal(r.error, undefined);
    assert.equal(r.value, undefined);
    assert.equal(r.result.calls[0]!.outcome, 'nil-err');
    assert.equal(r.result.calls[0]!.step, 'plugin.Step');
    assert.match(r.result.calls[0]!.error!, /could not find an Upstream named 'nowhere'/);
  });

  test("the same on 2.8: the call rejects with a PDKError carrying Kong's text", async () => {
    const r = await attempt((k) => k.service.setUpstream('nowhere'), {}, { kongVersion: '2.8.0' });
    assert.ok(r.error instanceof Error);
    assert.equal(r.error.name, 'PDKError');
    assert.match(r.error.message, /kong\.service\.set_upstream failed: could not find an Upstream named 'nowhere'/);
    assert.equal(r.result.calls[0]!.step, 'plugin.StepError');
  });

  test('pdkErrors forces a failure of a (nil, err) function', async () => {
    const spec: RequestSpec = { pdkErrors: { 'kong.client.getProtocol': 'boom' } };
    assert.equal((await attempt((k) => k.client.getProtocol(), spec)).value, undefined);
    const two = await attempt((k) => k.client.getProtocol(), spec, { kongVersion: '2.8' });
    assert.match(String(two.error), /boom/);
  });

  test('pdkErrors refuses a function Kong never fails that way', async () => {
    const kit = await loadPlugin(probe((k) => k.request.getMethod()).module);
    assert.throws(
      () => kit.request({ pdkErrors: { 'kong.request.get_method': 'x' } }),
      isKitError('usage', /never returns \(nil, err\)/),
    );
  });

  test('a raw body buffered to a file: 3.x raises (fix_raw cannot pack nil), 2.x rejects the call', async () => {
    const { module } = probe((k) => k.request.getRawBody());
    const kit3 = await loadPlugin(module);
    await assert.rejects(
      kit3.request({ body: 'big', bodyInFile: true }).run(),
      isKitError('kong-raised', /fix_raw cannot pack nil/),
    );
    const r2 = await attempt(
      (k) => k.request.getRawBody(),
      { body: 'big', bodyInFile: true },
      { kongVersion: '2.8.0' },
    );
    assert.match(String(r2.error), /did not fit into client body buffer/);
  });

  test('Kong 3.8+ reads a body buffered to a file when maxAllowedFileSize allows it', async () => {
    const r = await attempt(
      (k) => k.request.getRawBody(1024),
      { body: 'big', bodyInFile: true },
      { kongVersion: '3.8.0' },
    );
    assert.equal(String(r.value), 'big');
  });

  test('Kong 2.x sends raw bodies as msgpack str; the plugin still gets a Buffer with the exact bytes', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x41, 0xe2, 0x82]);
    const r = await attempt((k) => k.request.getRawBody(), { body: bytes }, { kongVersion: '2.8.0' });
    assert.ok(Buffer.isBuffer(r.value));
    assert.deepEqual(r.value, bytes);
  });

  test('get_body with invalid JSON: undefined on 3.x, rejected on 2.x', async () => {
    const spec: RequestSpec = { body: '{oops', headers: { 'content-type': 'application/json' } };
    assert.equal((await attempt((k) => k.request.getBody(), spec)).value, undefined);
    assert.match(
      String((await attempt((k) => k.request.getBody(), spec, { kongVersion: '2.8.0' })).error),
      /invalid json body/,
    );
  });
});

describe('values as Lua gives them back', () => {
  test('ctx.shared: {} comes back as [], nulls vanish, arrays with holes become maps, Buffers become strings', async () => {
    const r = await attempt(async (k) => {
      await k.ctx.shared.set('empty', {});
      await k.ctx.shared.set('nulls', { a: null, b: 1 });
      await k.ctx.shared.set('holes', [1, null, 3]);
      await k.ctx.shared.set('bytes', Buffer.from('text'));
      return [
        await k.ctx.shared.get('empty'),
        await k.ctx.shared.get('nulls'),
        await k.ctx.shared.get('holes'),
        await k.ctx.shared.get('bytes'),
      ];
    });
    assert.deepEqual(r.value, [[], { b: 1 }, { 1: 1, 3: 3 }, 'text']);
  });

  test('an unknown key reads as undefined', async () => {
    assert.equal((await attempt((k) => k.ctx.shared.get('nope'))).value, undefined);
  });
});

describe('Lua errors and phases', () => {
  test('a function called outside its phases raises (kong.response.get_status in access)', async () => {
    const { module } = probe((k) => k.response.getStatus());
    const kit = await loadPlugin(module);
    await assert.rejects(
      kit.request().run(),
      isKitError(
        'kong-raised',
        /kong\.response\.get_status: function cannot be called in access phase \(only in: response, log\)/,
      ),
    );
    const lax = await attempt((k) => k.response.getStatus(), {}, { checkPhases: false });
    assert.equal(lax.value, 200);
  });

  test('the log timer: request-bound calls raise in log, saved data does not', async () => {
    const { module } = probe((k) => k.request.getMethod(), 'log');
    const kit = await loadPlugin(module);
    await assert.rejects(
      kit.request().run(),
      isKitError('kong-raised', /kong\.request\.get_method raises in the log phase: .*timer/),
    );
    const log = probe(
      async (k) => [await k.request.getHeader('x'), await k.response.getStatus(), await k.ctx.shared.get('s')],
      'log',
    );
    const kitLog = await loadPlugin(log.module);
    await kitLog.request({ headers: { x: '1' }, ctxShared: { s: 'v' } }).run();
    assert.deepEqual(log.box.value, ['1', 200, 'v']);
    const off = probe((k) => k.service.response.getStatus(), 'log');
    await (await loadPlugin(off.module, { logPhaseTimer: false })).request({ upstream: { status: 503 } }).run();
    assert.equal(off.box.value, 503);
  });

  test("Kong 2.x's log phase has no ngx.ctx: no route, service or consumer", async () => {
    const three = probe(
      async (k) => [(await k.router.getRoute())?.name, (await k.client.getConsumer())?.username],
      'log',
    );
    await (await loadPlugin(three.module)).request({ consumer: { username: 'u' } }).run();
    assert.deepEqual(three.box.value, ['test-route', 'u']);
    const two = probe(async (k) => [await k.router.getRoute(), await k.client.getConsumer()], 'log');
    await (await loadPlugin(two.module, { kongVersion: '2.8.0' })).request({ consumer: { username: 'u' } }).run();
    assert.deepEqual(two.box.value, [undefined, undefined]);
  });

  test('a function newer than the Kong version is unknown to Kong: nil, and Kong logs it', async () => {
    const r = await attempt((k) => k.plugin.getId(), {}, { kongVersion: '3.3.0' });
    assert.equal(r.value, undefined);
    assert.equal(r.result.calls[0]!.outcome, 'unknown-method');
    assert.deepEqual(r.result.logMessages('err'), ['could not find pdk method: kong.plugin.get_id']);
  });

  test("after a Lua error the event is freed and the plugin's pending call rejects", async () => {
    const { module, box } = probe((k) => k.response.getStatus());
    const kit = await loadPlugin(module);
    await assert.rejects(kit.request().run());
    await new Promise((r) => setImmediate(r));
    assert.equal((box.error as Error | undefined)?.name, 'EventEndedError');
  });
});

describe('what the kit cannot simulate', () => {
  test('an unimplemented function fails the run with "not simulated: kong.x.y", and the event is freed', async () => {
    const { module, box } = probe((k) => k.tracing.activeSpan());
    const kit = await loadPlugin(module);
    const err = await kit
      .request()
      .run()
      .then(
        () => assert.fail('should reject'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof KitError);
    assert.equal(err.kind, 'not-simulated');
    assert.match(err.message, /^not simulated: kong\.tracing\.active_span/);
    const partial = err.result as { calls: { outcome: string }[] };
    assert.equal(partial.calls[0]!.outcome, 'not-simulated');
    await new Promise((r) => setImmediate(r));
    assert.equal((box.error as Error | undefined)?.name, 'EventEndedError');
    assert.ok(!SIMULATED_FUNCTIONS.includes('kong.tracing.active_span'));
    assert.ok(SIMULATED_FUNCTIONS.includes('kong.request.get_header'));
  });

  test("the simulator covers the client's functions but TLS, tracing, telemetry and vault.update", async () => {
    const { PDK_FUNCTIONS } = await import('../../src/index.js');
    for (const name of SIMULATED_FUNCTIONS) assert.ok(PDK_FUNCTIONS.has(name), `${name} is a PDK function`);
    const missing = [...PDK_FUNCTIONS.keys()].filter((n) => !SIMULATED_FUNCTIONS.includes(n));
    assert.deepEqual(
      missing.filter((n) => !/^kong\.(client\.tls|tracing|telemetry)\./.test(n)),
      ['kong.service.request.disable_tls', 'kong.vault.update'],
    );
  });

  test('an override scripts it: a value, a (nil, err), or a Lua error', async () => {
    const value = await attempt(
      (k) => k.tracing.activeSpan(),
      {},
      { overrides: { 'kong.tracing.activeSpan': () => ({ name: 'span' }) } },
    );
    assert.deepEqual(value.value, { name: 'span' });
    const nilErr = await attempt(
      (k) => k.vault.get('{vault://env/x}'),
      { overrides: { 'kong.vault.get': () => pdkError('vault down') } },
      { kongVersion: '2.8.0' },
    );
    assert.match(String(nilErr.error), /vault down/);
    const { module } = probe((k) => k.vault.get('{vault://env/x}'));
    const kit = await loadPlugin(module, {
      overrides: {
        'kong.vault.get': () => {
          throw kongRaises('no vault');
        },
      },
    });
    await assert.rejects(kit.request().run(), isKitError('kong-raised', /no vault/));
  });

  test("an override sees the arguments and the fake Kong's state", async () => {
    const r = await attempt((k) => k.request.getHeader('x'), {
      headers: { x: 'real' },
      overrides: { 'kong.request.get_header': (args, kong) => `${String(args[0])}:${kong.request.method}` },
    });
    assert.equal(r.value, 'x:GET');
  });

  test('an override name must be a PDK function', async () => {
    const kit = await loadPlugin(probe((k) => k.request.getMethod()).module);
    assert.throws(
      () => kit.request({ overrides: { 'kong.nope': () => 1 } }),
      isKitError('usage', /no PDK function kong\.nope/),
    );
  });
});

describe('plugin failures', () => {
  test('a handler that throws fails the run; with failOnPluginError: false it is reported', async () => {
    const module = inlinePlugin({
      access: async (k) => {
        await k.log.info('before');
        throw new Error('kaput');
      },
    });
    const kit = await loadPlugin(module);
    await assert.rejects(kit.request().run(), isKitError('plugin-error', /failed in access: the handler threw: kaput/));
    const lax = await loadPlugin(module, { failOnPluginError: false });
    const r = await lax.request().run();
    assert.deepEqual(r.pluginErrors, [{ phase: 'access', message: 'the handler threw: kaput' }]);
    assert.deepEqual(r.logMessages(), ['before']);
    assert.equal(r.exit, undefined, 'Kong goes on as if the plugin had succeeded');
    assert.ok(r.serverLog.some((l) => /threw: kaput/.test(l)));
  });

  test('a constructor that throws: the instance fails closed with 500 in access', async () => {
    class Broken {
      constructor() {
        throw new Error('bad config');
      }
      access(): void {}
    }
    const kit = await loadPlugin({ Plugin: Broken, Version: '1.0.0', Priority: 1 }, { failOnPluginError: false });
    const r = await kit.request().run();
    assert.equal(r.exit?.status, 500);
    assert.deepEqual(r.exit?.body, { message: 'An unexpected error occurred' });
    assert.match(r.pluginErrors[0]!.message, /constructor threw: bad config/);
    await assert.rejects(
      (await loadPlugin({ Plugin: Broken, Version: '1.0.0', Priority: 1 })).request().run(),
      isKitError('plugin-error'),
    );
  });

  test('a handler that never finishes times out', async () => {
    const kit = await loadPlugin(inlinePlugin({ access: () => new Promise(() => {}) }), { timeoutMs: 100 });
    await assert.rejects(kit.request().run(), isKitError('timeout', /no answer within 100 ms/));
  });
});
