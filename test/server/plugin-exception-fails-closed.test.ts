/**
 * A handler that throws in rewrite, access or preread fails closed by default: the event ends
 * with kong.response.exit(500), as Kong's own plugins fail and as an instance with an invalid
 * config already does. Other phases answer "ret". `pluginErrorPolicy: 'continue'` (the CLI's
 * `--on-plugin-error continue`) keeps kong-js-pdk's fail-open answer (event-cycle cases 32–33).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginErrorReport } from '../../src/options.js';
import { startInstance, startTestServer, type KongConnection, type TestServer } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

const EXIT_500 = { Method: 'kong.response.exit', Args: [500, { message: 'An unexpected error occurred' }] };

describe('plugin exceptions fail closed by default', () => {
  let ts: TestServer;
  let c: KongConnection;
  const reports: PluginErrorReport[] = [];
  before(async () => {
    ts = await startTestServer({ onPluginError: (r) => reports.push(r) });
    c = await ts.connect();
  });
  after(() => ts.close());

  test('a throw in access after a PDK call ends the request with HTTP 500 and frees the event', async () => {
    const id = await startInstance(c, 'throw');
    const r1 = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.equal(r1.Data.Method, 'kong.log.notice');
    const r2 = await c.call('Step', { EventId: r1.EventId });
    assert.deepEqual(r2.Data, EXIT_500);
    assert.equal(await ts.events(), 0);
    assert.match(await c.callError('Step', { EventId: r1.EventId }), /no running event/);
    assert.ok(reports.some((r) => r.eventId === r1.EventId && r.phase === 'access' && r.message === 'plugin bug'));
  });

  test('a synchronous throw in rewrite before any PDK call: HandleEvent answers the exit(500)', async () => {
    const id = await startInstance(c, 'throw');
    const r = await c.call('HandleEvent', { InstanceId: id, EventName: 'rewrite' });
    assert.deepEqual(r.Data, EXIT_500);
    assert.equal(await ts.events(), 0);
  });
});

describe('phases that cannot end the request', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({}, fixture('ops-plugins'));
  });
  after(() => ts.close());

  test('a throw in log answers "ret" (nothing to fail closed)', async () => {
    const c = await ts.connect();
    const id = await startInstance(c, 'access-throw');
    assert.equal((await c.call('HandleEvent', { InstanceId: id, EventName: 'log' })).Data, 'ret');
    assert.equal(await ts.events(), 0);
  });
});

describe('--on-plugin-error continue', () => {
  test('the same throw in access lets the request through with "ret"', async () => {
    const ts = await startTestServer({ pluginErrorPolicy: 'continue' });
    try {
      const c = await ts.connect();
      const id = await startInstance(c, 'throw');
      const r1 = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
      assert.equal((await c.call('Step', { EventId: r1.EventId })).Data, 'ret');
    } finally {
      await ts.close();
    }
  });
});
