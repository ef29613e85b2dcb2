/**
 * A plugin exception is logged once, at the default level, with its stack; for a .ts plugin the
 * stack points at the plugin's own source line (the loader's inline source map is used). In JSON
 * format the record names the plugin, instance, event and phase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { freshPrefix, OPS_PLUGINS, startCli, stop } from './ops-process.js';

async function throwOnce(socket: string): Promise<{ instance: number; event: number }> {
  const c = await KongConnection.open(socket);
  const instance = await startInstance(c, 'access-throw');
  const r1 = await c.call('HandleEvent', { InstanceId: instance, EventName: 'access' });
  assert.equal(r1.Data.Method, 'kong.log.notice');
  const r2 = await c.call('Step', { EventId: r1.EventId });
  assert.equal(r2.Data.Method, 'kong.response.exit');
  c.close();
  return { instance, event: r1.EventId as number };
}

test('text format: one record at the default level, its stack at access-throw.ts:12 (the throw), not the compiled line', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  try {
    await throwOnce(socket);
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await stop(srv);
  }
  const lines = srv.stderr().split('\n');
  const heads = lines.filter((l) => l.includes('threw'));
  assert.equal(heads.length, 1, srv.stderr());
  assert.match(
    heads[0]!,
    /^\[warn\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z plugin access-throw\.access \(instance \d+, event \d+\) threw: access check failed: auth backend unreachable; the request ends with HTTP 500$/,
  );
  const frames = lines.slice(lines.indexOf(heads[0]!) + 1).filter((l) => /^ {4}at /.test(l));
  assert.ok(frames.length > 0, 'the stack follows the record');
  assert.match(frames[0]!, /access-throw\.ts:12:\d+\)?$/, frames[0]);
});

test('json format: one object per line; the exception names plugin, instance, event, phase and carries the mapped stack', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix, '--log-format', 'json', '-v'], socket);
  let ids: { instance: number; event: number };
  try {
    ids = await throwOnce(socket);
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await stop(srv);
  }
  const records = srv
    .stderr()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(records.length >= 2, srv.stderr());
  for (const r of records) {
    assert.match(String(r.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['error', 'warn', 'info', 'debug'].includes(String(r.level)));
    assert.equal(typeof r.msg, 'string');
  }
  const threw = records.filter((r) => String(r.msg).includes('threw'));
  assert.equal(threw.length, 1);
  const t = threw[0]!;
  assert.equal(t.level, 'warn');
  assert.equal(t.plugin, 'access-throw');
  assert.equal(t.instance, ids.instance);
  assert.equal(t.event, ids.event);
  assert.equal(t.phase, 'access');
  assert.match(String(t.stack), /access-throw\.ts:12:\d+/);
});
