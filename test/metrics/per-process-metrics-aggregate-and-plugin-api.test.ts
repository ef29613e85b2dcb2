/**
 * The per-process metrics object is what a primary process merges: two servers' `json()` arrays,
 * aggregated with prom-client's AggregatorRegistry, add up their events and keep the largest
 * instance count. And the plugin metrics API refuses bad names and conflicting redefinitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry } from 'prom-client';
import { pluginMetrics } from '../../src/index.js';
import { startInstance, startTestServer, type TestServer } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';
import { parseScrape, sampleValue } from '../ops/ops-process.js';

async function runEvents(ts: TestServer, n: number): Promise<void> {
  const c = await ts.connect();
  const id = await startInstance(c, 'ping');
  for (let i = 0; i < n; i++) {
    const r = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    await c.call('Step', { EventId: r.EventId });
  }
}

test("two processes' metrics aggregate: events add up, instances take the maximum", async () => {
  const a = await startTestServer({ metrics: true }, fixture('ops-plugins'));
  const b = await startTestServer({ metrics: true }, fixture('ops-plugins'));
  try {
    await runEvents(a, 5);
    await runEvents(b, 8);
    const merged = AggregatorRegistry.aggregate([await a.server!.metrics!.json(), await b.server!.metrics!.json()]);
    const s = parseScrape(await merged.metrics());
    assert.equal(sampleValue(s, 'kong_ts_events_total', { plugin: 'ping', phase: 'access', outcome: 'ret' }), 13);
    assert.equal(sampleValue(s, 'kong_ts_event_duration_seconds_count', { plugin: 'ping', phase: 'access' }), 13);
    assert.equal(sampleValue(s, 'kong_ts_instances', { plugin: 'ping' }), 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test('plugin metrics: bad names and reserved labels throw; the same definition is shared, another shape throws', () => {
  const m = pluginMetrics('api-test');
  assert.throws(() => m.counter({ name: 'bad-name', help: 'x' }), /must match/);
  assert.throws(() => m.counter({ name: 'ok_total', help: 'x', labelNames: ['plugin'] }), /invalid or reserved/);
  const c1 = m.counter({ name: 'api_test_total', help: 'x', labelNames: ['route'] });
  const c2 = pluginMetrics('other').counter({ name: 'api_test_total', help: 'x', labelNames: ['route'] });
  assert.ok(c1 && c2);
  assert.throws(() => m.gauge({ name: 'api_test_total', help: 'x' }), /already defined as a counter/);
  assert.throws(() => c1.inc({ route: 'a' }, -1), /cannot decrease/);
});
