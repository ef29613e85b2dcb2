/**
 * /metrics over a real server process: N events read back as exactly N, by plugin, phase and
 * outcome; PDK calls by function with their round trips; instances, connections, refused
 * messages, stray errors, process metrics, and a plugin's own metrics labelled with its name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { encode } from '@msgpack/msgpack';
import { runBin, SERVER_BIN } from '../helpers/cli.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { freshPrefix, httpGetUnix, OPS_PLUGINS, parseScrape, sampleValue, startCli, stop } from '../ops/ops-process.js';

const N = 37;

test('N events through the socket read back as exactly N in /metrics, with every required family', async () => {
  const { prefix, socket } = freshPrefix();
  const metricsSock = path.join(prefix, 'metrics.sock');
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix, '--metrics-listen', `unix:${metricsSock}`], socket);
  try {
    const c = await KongConnection.open(socket);
    const ping = await startInstance(c, 'ping');
    for (let i = 0; i < N; i++) {
      const r = await c.call('HandleEvent', { InstanceId: ping, EventName: 'access' });
      assert.equal((await c.call('Step', { EventId: r.EventId })).Data, 'ret');
    }
    // Three handler exceptions (failing closed) and a plugin's own metric.
    const thrower = await startInstance(c, 'access-throw');
    for (let i = 0; i < 3; i++) {
      const r = await c.call('HandleEvent', { InstanceId: thrower, EventName: 'access' });
      assert.equal((await c.call('Step', { EventId: r.EventId })).Data.Method, 'kong.response.exit');
    }
    const counted = await startInstance(c, 'counted');
    for (const route of ['a', 'a', 'b']) {
      const r = await c.call('HandleEvent', { InstanceId: counted, EventName: 'access' });
      assert.equal((await c.call('Step', { EventId: r.EventId, Data: route })).Data, 'ret');
    }
    // Two garbage connections and a stray rejection.
    for (let i = 0; i < 2; i++) {
      const g = await KongConnection.open(socket);
      g.write(encode('not a request'));
      await g.waitClosed();
    }
    const stray = await startInstance(c, 'later-reject');
    await c.call('HandleEvent', { InstanceId: stray, EventName: 'access' });
    await new Promise((r) => setTimeout(r, 100));

    const res = await httpGetUnix(metricsSock, '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/plain; version=0\.0\.4/);
    const s = parseScrape(res.body);
    const ev = (plugin: string, outcome: string) =>
      sampleValue(s, 'kong_ts_events_total', { plugin, phase: 'access', outcome });
    assert.equal(ev('ping', 'ret'), N);
    assert.equal(ev('ping', 'exit'), 0);
    assert.equal(ev('ping', 'exception'), 0);
    assert.equal(ev('access-throw', 'exception'), 3);
    assert.equal(sampleValue(s, 'kong_ts_event_duration_seconds_count', { plugin: 'ping', phase: 'access' }), N);
    assert.equal(
      sampleValue(s, 'kong_ts_event_duration_seconds_bucket', { plugin: 'ping', phase: 'access', le: '+Inf' }),
      N,
    );
    assert.equal(sampleValue(s, 'kong_ts_pdk_calls_total', { function: 'kong.response.set_header' }), N);
    assert.equal(
      sampleValue(s, 'kong_ts_pdk_call_duration_seconds_count', { function: 'kong.response.set_header' }),
      N,
    );
    assert.equal(sampleValue(s, 'kong_ts_pdk_calls_total', { function: 'kong.request.get_header' }), 3);
    assert.equal(sampleValue(s, 'kong_ts_pdk_calls_total', { function: 'kong.response.exit' }), 3);
    assert.equal(sampleValue(s, 'kong_ts_instances', { plugin: 'ping' }), 1);
    assert.equal(sampleValue(s, 'kong_ts_instances', { plugin: 'hang' }), 0);
    assert.equal(sampleValue(s, 'kong_ts_connections'), 1);
    assert.equal(sampleValue(s, 'kong_ts_connections_accepted_total'), 1 + 2 + 1);
    assert.equal(sampleValue(s, 'kong_ts_messages_refused_total', { reason: 'not-a-request' }), 2);
    assert.equal(
      sampleValue(s, 'kong_ts_stray_errors_total', { plugin: 'later-reject', kind: 'unhandled-rejection' }),
      1,
    );
    assert.equal(sampleValue(s, 'kong_ts_events_in_flight'), 0);
    // The plugin's own metrics, labelled with its name.
    assert.equal(sampleValue(s, 'kong_ts_plugin_counted_requests_total', { plugin: 'counted', route: 'a' }), 2);
    assert.equal(sampleValue(s, 'kong_ts_plugin_counted_requests_total', { plugin: 'counted', route: 'b' }), 1);
    assert.equal(sampleValue(s, 'kong_ts_plugin_counted_last_size', { plugin: 'counted' }), 1);
    assert.equal(sampleValue(s, 'kong_ts_plugin_counted_work_seconds_bucket', { plugin: 'counted', le: '0.01' }), 3);
    // prom-client's process and Node.js metrics, event-loop lag among them.
    for (const name of [
      'kong_ts_process_cpu_seconds_total',
      'kong_ts_process_resident_memory_bytes',
      'kong_ts_nodejs_eventloop_lag_seconds',
      'kong_ts_nodejs_eventloop_lag_p99_seconds',
      'kong_ts_nodejs_heap_size_used_bytes',
    ])
      assert.ok(
        s.some((x) => x.name === name),
        name,
      );
    assert.ok(s.every((x) => x.name.startsWith('kong_ts_')));
    assert.equal((await httpGetUnix(metricsSock, '/other')).status, 404);
    c.close();
  } finally {
    await stop(srv);
  }
});

test('without --metrics-listen a plugin using its metrics API still serves (the calls are no-ops)', async () => {
  const { prefix, socket } = freshPrefix();
  const srv = await startCli(['-d', OPS_PLUGINS, '-p', prefix], socket);
  try {
    const c = await KongConnection.open(socket);
    const counted = await startInstance(c, 'counted');
    const r = await c.call('HandleEvent', { InstanceId: counted, EventName: 'access' });
    assert.equal((await c.call('Step', { EventId: r.EventId, Data: 'a' })).Data, 'ret');
    c.close();
  } finally {
    await stop(srv);
  }
});

test('a --metrics-listen that is no address is a usage error', () => {
  const r = runBin(SERVER_BIN, ['-d', OPS_PLUGINS, '--metrics-listen', 'localhost']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--metrics-listen: expected host:port, :port or unix:<path>, got localhost/);
});
