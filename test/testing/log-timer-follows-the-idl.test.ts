/**
 * The log phase's timer as the IDL describes it (rpc.yaml `log_timer`, pdk.yaml
 * `log_phase_saved`): what Kong saved is readable, ngx.ctx from 3.0, request-bound calls raise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../src/index.js';
import { KitError, loadPlugin, type KitOptions, type RequestSpec } from '../../src/testing/index.js';
import { probe } from './helpers.js';

async function inLog(fn: (kong: Kong) => Promise<unknown>, spec: RequestSpec = {}, options: KitOptions = {}) {
  const { module, box } = probe(fn, 'log');
  const kit = await loadPlugin(module, options);
  try {
    await kit.request(spec).run();
    return box;
  } finally {
    await kit.close();
  }
}

const raisesInLog = (name: string, text?: RegExp) => (e: unknown) =>
  e instanceof KitError &&
  e.kind === 'kong-raised' &&
  e.message.includes(`${name} raises in the log phase`) &&
  (text === undefined || text.test(e.message));

describe('the log timer', () => {
  test('kong.request.get_start_time reads the restored ngx.ctx on Kong 3.x', async () => {
    const box = await inLog((k) => k.request.getStartTime(), { startTime: 1_700_000_000_123 });
    assert.equal(box.value, 1_700_000_000_123);
  });

  test('before 3.0 the timer has no ngx.ctx: what lives there reads as nil', async () => {
    const box = await inLog(
      (k) => k.request.getStartTime(),
      { startTime: 1_700_000_000_123 },
      { kongVersion: '2.8.0' },
    );
    assert.equal(box.value, undefined);
  });

  test('kong.nginx.req_start_time is saved for the timer from 3.4 and raises before', async () => {
    const box = await inLog((k) => k.nginx.reqStartTime(), { startTime: 1_700_000_000_500 }, { kongVersion: '3.4.0' });
    assert.equal(box.value, 1_700_000_000.5);
    await assert.rejects(
      inLog((k) => k.nginx.reqStartTime(), {}, { kongVersion: '3.3.0' }),
      raisesInLog('kong.nginx.req_start_time'),
    );
  });

  test("a request-bound call raises, and the message lists what that Kong's timer can read", async () => {
    await assert.rejects(
      inLog((k) => k.client.getIp()),
      raisesInLog('kong.client.get_ip', /kong\.request\.getStartTime.*kong\.response\.getStatus/),
    );
    await assert.rejects(
      inLog((k) => k.nginx.getVar('uri'), {}, { kongVersion: '3.3.0' }),
      (e: unknown) => raisesInLog('kong.nginx.get_var')(e) && !(e as Error).message.includes('kong.nginx.reqStartTime'),
    );
  });

  test('logPhaseTimer: false runs log like any phase', async () => {
    const box = await inLog((k) => k.client.getIp(), { client: { ip: '192.0.2.7' } }, { logPhaseTimer: false });
    assert.equal(box.value, '192.0.2.7');
  });
});
