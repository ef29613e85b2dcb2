/**
 * The generated PDK client and dispatcher cover every entry of the real IDL: each exposed
 * function is reachable under its camelCase path and sends Kong's name; each RPC method
 * reaches its handler; nothing else does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  createPdk,
  dispatch,
  PDK_CAMEL_TO_KONG,
  PDK_FUNCTIONS,
  PDK_KONG_TO_CAMEL,
  PdkCallFlags,
  RPC_METHOD_NAMES,
  RpcCallError,
  type PdkTransport,
  type RpcHandlers,
} from '../../generated/index.js';
import { repoRoot } from '../helpers/paths.js';

interface IndexEntry {
  name: string;
  camel: string | null;
  exposed: boolean;
  never_returns: boolean;
  result_fix: string | null;
}
const index = JSON.parse(fs.readFileSync(path.join(repoRoot, 'generated', 'pdk-index.json'), 'utf8')) as {
  functions: IndexEntry[];
};

function recorder(): { t: PdkTransport; calls: { method: string; args: unknown[]; flags: number }[] } {
  const calls: { method: string; args: unknown[]; flags: number }[] = [];
  return {
    calls,
    t: { call: (method, args, flags) => (calls.push({ method, args, flags }), Promise.resolve(undefined)) },
  };
}

function resolvePath(root: unknown, camelPath: string): unknown {
  let cur: unknown = root;
  for (const part of camelPath.split('.').slice(1)) cur = (cur as Record<string, unknown>)[part];
  return cur;
}

/** Calls the function at `camelPath` on its owner, as a plugin writes `kong.request.getHeader(…)`. */
function callPath(root: unknown, camelPath: string, args: unknown[]): unknown {
  const parts = camelPath.split('.');
  const owner = resolvePath(root, parts.slice(0, -1).join('.'));
  const fn = resolvePath(root, camelPath) as (...a: unknown[]) => unknown;
  return fn.apply(owner, args);
}

test('every exposed function of the index is callable under its camelCase path and sends its Kong name', async () => {
  const exposed = index.functions.filter((f) => f.exposed);
  assert.equal(exposed.length, 112);
  for (const f of exposed) {
    const { t, calls } = recorder();
    const kong = createPdk(t);
    const camel = PDK_KONG_TO_CAMEL.get(f.name)!;
    assert.equal(typeof resolvePath(kong, camel), 'function', f.name);
    await callPath(kong, camel, ['a', 'b']);
    assert.equal(calls.length, 1, f.name);
    assert.equal(calls[0]!.method, f.name);
    assert.equal((calls[0]!.flags & PdkCallFlags.NEVER_RETURNS) !== 0, f.never_returns, f.name);
    assert.equal((calls[0]!.flags & PdkCallFlags.RAW_BYTES) !== 0, f.result_fix === 'raw_bytes', f.name);
    assert.equal((calls[0]!.flags & PdkCallFlags.MULTIMAP) !== 0, f.result_fix === 'multimap', f.name);
  }
});

test('functions that cannot be called are absent from the client and listed with a reason', () => {
  const kong = createPdk(recorder().t);
  for (const f of index.functions.filter((x) => !x.exposed)) {
    assert.equal(PDK_FUNCTIONS.has(f.name), false, f.name);
    const parts = f.name.split('.');
    const camel =
      parts.slice(0, -1).join('.') + '.' + parts.at(-1)!.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    assert.equal(resolvePath(kong, camel), undefined, f.name);
  }
});

test('the name table round-trips, including get_tls1_version_str and its kong-js-pdk spelling', () => {
  for (const [kongName, camel] of PDK_KONG_TO_CAMEL) assert.equal(PDK_CAMEL_TO_KONG.get(camel), kongName);
  assert.equal(PDK_KONG_TO_CAMEL.get('kong.nginx.get_tls1_version_str'), 'kong.nginx.getTls1VersionStr');
  assert.equal(PDK_CAMEL_TO_KONG.get('kong.nginx.getTls1_versionStr'), 'kong.nginx.get_tls1_version_str');
  const values = [...PDK_CAMEL_TO_KONG.keys()];
  assert.equal(new Set(values).size, values.length);
});

test('kong.log is callable and has level methods; kong.response.exit sends "" for a nil body before headers', async () => {
  const { t, calls } = recorder();
  const kong = createPdk(t);
  await kong.log('a', 1);
  await kong.log.err('boom');
  await kong.log.inspect.on();
  await kong.response.exit(401, undefined, { 'www-authenticate': 'Basic' });
  await kong.response.exit(204);
  assert.deepEqual(
    calls.map((c) => [c.method, c.args]),
    [
      ['kong.log', ['a', 1]],
      ['kong.log.err', ['boom']],
      ['kong.log.inspect.on', []],
      ['kong.response.exit', [401, '', { 'www-authenticate': 'Basic' }]],
      ['kong.response.exit', [204, undefined, undefined]],
    ],
  );
});

test('every RPC method reaches its handler; unknown names never reach an object property', async () => {
  const seen: string[] = [];
  const handlers = new Proxy({} as RpcHandlers, {
    get: (_t, prop) => (param: unknown) => {
      seen.push(`${String(prop)}:${current}`);
      return param;
    },
  });
  // The method being dispatched, so each handler call is recorded with the method that reached it.
  let current = '';
  const validParam: Record<string, unknown> = {
    'plugin.SetPluginDir': '/tmp',
    'plugin.GetStatus': undefined,
    'plugin.GetPluginInfo': 'echo',
    'plugin.StartInstance': { Name: 'echo', Config: '{}' },
    'plugin.InstanceStatus': 1,
    'plugin.CloseInstance': 1,
    'plugin.HandleEvent': { InstanceId: 1, EventName: 'access' },
    'plugin.StepError': { EventId: 1, Data: 'boom' },
  };
  for (const m of RPC_METHOD_NAMES) {
    const param = m in validParam ? validParam[m] : { EventId: 1 };
    current = m;
    dispatch(handlers, m, param === undefined ? [] : [param]);
  }
  assert.equal(seen.length, RPC_METHOD_NAMES.length);
  assert.ok(seen.includes('Step:plugin.StepMultiMap'));
  for (const bad of [
    'plugin.constructor',
    'plugin.__proto__',
    'plugin.toString',
    'plugin.hasOwnProperty',
    'foo.Bar',
    'plugin.Nope',
    42,
  ]) {
    assert.throws(() => dispatch(handlers, bad, [1]), RpcCallError, String(bad));
  }
  assert.equal(seen.length, RPC_METHOD_NAMES.length);
});

test('the dispatcher refuses params of the wrong arity or shape with a BadParams text', () => {
  const handlers = {} as RpcHandlers;
  assert.throws(
    () => dispatch(handlers, 'plugin.CloseInstance', [{ id: 1 }]),
    /bad params for plugin\.CloseInstance: expected integer/,
  );
  assert.throws(() => dispatch(handlers, 'plugin.CloseInstance', [1, 2]), /expected 1 param, got 2/);
  assert.throws(() => dispatch(handlers, 'plugin.StartInstance', [{ Name: 'x' }]), /expected StartInstanceParams/);
  assert.throws(() => dispatch(handlers, 'plugin.Step', 'nope'), /params must be an array/);
  assert.throws(() => dispatch(handlers, 'plugin.HandleEvent', [[]]), /expected HandleEventParams/);
});
